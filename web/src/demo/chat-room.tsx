import { useEffect, useRef, useState } from "preact/hooks";
import { isTypingSignal, mergeLines, senderName, toChatLine } from "./chat-lines.ts";
import type { ChatLine } from "./chat-lines.ts";
import type { BannerNotice } from "./connection-banner.tsx";
import { PresenceList } from "./presence-list.tsx";
import type { Presence } from "./presence-list.tsx";
import { announceName } from "./sdk.ts";
import type { DemoClient, DemoRoom, MessageFrame } from "./sdk.ts";
import { TYPING_RESEND_MS, typingText, useTypists } from "./typing.ts";

interface Props {
  client: DemoClient;
  room: string;
  name: string;
  onLeave: () => void;
  onNotice: (notice: BannerNotice | null) => void;
}

const HISTORY_ON_JOIN = 50;

/** A joined room: history on join, live messages, presence, typing. Leaves on unmount. */
export function ChatRoom({ client, room, name, onLeave, onNotice }: Props) {
  const [lines, setLines] = useState<ChatLine[]>([]);
  const [presence, setPresence] = useState<Presence>({ countOnly: false, count: undefined, members: [] });
  const [joined, setJoined] = useState<DemoRoom | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const { typists, saw, stopped } = useTypists();
  const typingSentAt = useRef(0);
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    let active = true;
    let current: DemoRoom | null = null;
    const fail = (failure: unknown): void => {
      if (active) setError(failure instanceof Error ? failure.message : String(failure));
    };
    // The SDK keeps the member list exact from the server's coalesced presence diffs; in a room
    // above its list limit only the count is known, and a list shown from before would be stale.
    const showPresence = (target: DemoRoom): void => {
      if (active) setPresence({ countOnly: target.presenceMode === "count", count: target.presenceCount, members: target.members });
    };
    const loadHistory = async (target: DemoRoom): Promise<void> => {
      const page = await target.history({ limit: HISTORY_ON_JOIN });
      const history = page.messages.map(toChatLine).filter((line): line is ChatLine => line !== undefined);
      if (active) setLines((existing) => mergeLines(existing, history));
    };
    (async () => {
      const target = await client.join(room);
      if (!active) {
        await target.leave();
        return;
      }
      current = target;
      target.on("message", (data: unknown, frame: MessageFrame) => {
        const from = senderName(frame);
        if (isTypingSignal(data)) {
          if (from !== name) saw(from);
          return;
        }
        const line = toChatLine(frame);
        if (line === undefined) return;
        stopped(from);
        setLines((existing) => mergeLines(existing, [line]));
      });
      target.on("members", () => showPresence(target));
      showPresence(target);
      target.on("recovered", ({ missed }) => onNotice({ kind: "recovered", text: missed === 0 ? "rejoined, nothing missed" : `recovered ${missed} missed message${missed === 1 ? "" : "s"}` }));
      target.on("reset", () => {
        onNotice({ kind: "reset", text: "history reloaded" });
        loadHistory(target).catch(fail);
      });
      setJoined(target);
      await loadHistory(target);
      await announceName(target, name);
    })().catch(fail);
    return () => {
      active = false;
      current?.leave().catch(() => undefined);
    };
  }, [client, room]);

  useEffect(() => {
    const element = list.current;
    if (element !== null) element.scrollTop = element.scrollHeight;
  }, [lines]);

  const onInput = (value: string): void => {
    setDraft(value);
    const now = Date.now();
    if (joined === null || value.length === 0 || now - typingSentAt.current < TYPING_RESEND_MS) return;
    typingSentAt.current = now;
    // Volatile: typing is never stored in history nor replayed on recovery.
    joined.publish({ typing: true, name }, { volatile: true }).catch(() => undefined);
  };

  const send = (event: Event): void => {
    event.preventDefault();
    const text = draft.trim();
    if (joined === null || text.length === 0) return;
    typingSentAt.current = 0;
    setDraft("");
    joined.publish({ text, name }).catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  };

  return (
    <div class="chat">
      <section class="panel" aria-labelledby="room-title">
        <div class="row" style="justify-content:space-between;align-items:center">
          <h2 id="room-title">#{room.replace(/^chat:/, "")}</h2>
          <button type="button" class="secondary" onClick={onLeave}>Back to rooms</button>
        </div>
        <ol class="plain messages" ref={list} data-testid="messages" aria-live="polite" aria-label="Messages">
          {lines.map((line) => (
            <li key={line.offset} class={line.name === name ? "message mine" : "message"}>
              <span class="who">{line.name}</span>
              <span>{line.text}</span>
            </li>
          ))}
          {lines.length === 0 && <li class="muted">{joined === null ? "Joining…" : "No messages yet. Say hello!"}</li>}
        </ol>
        <p class="typing muted small" data-testid="typing" aria-live="polite">{typingText(typists)}</p>
        <form onSubmit={send}>
          <label for="composer" class="sr-only">Message</label>
          <div class="row">
            <input id="composer" class="grow" autoComplete="off" maxLength={2000} placeholder="Write a message" value={draft} disabled={joined === null} onInput={(event) => onInput(event.currentTarget.value)} />
            <button type="submit" disabled={joined === null || draft.trim().length === 0}>Send</button>
          </div>
        </form>
        {error !== null && <p class="error" role="alert">{error}</p>}
      </section>
      <PresenceList {...presence} />
    </div>
  );
}

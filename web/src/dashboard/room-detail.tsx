import { useState } from "preact/hooks";
import type { Api } from "./api.ts";
import { usePolling } from "./use-polling.ts";
import { groupByUser } from "../../../src/protocol/presence-members.ts";
import type { HistoryReply, PresenceMember, PresencePageReply, StoredMessageFrame } from "./types.ts";

const REFRESH_MS = 2_000;
const HISTORY_SHOWN = 20;
/**
 * Connections read per refresh: the first page only, with the room's count. The whole list
 * every 2 s would cost the server a room's full presence per open dashboard, a big room's too.
 */
const PRESENCE_SHOWN = 100;

function displayName(member: PresenceMember): string {
  if (member.userId !== null) return member.userId;
  const name = member.meta?.name;
  return typeof name === "string" ? `${name} (anonymous)` : "anonymous";
}

/** One room: who is in it, its recent history, and a disconnect button per user. */
export function RoomDetail({ api, room, onClose }: { api: Api; room: string; onClose: () => void }) {
  const [members, setMembers] = useState<PresenceMember[] | null>(null);
  const [presence, setPresence] = useState<{ count: number; shown: number } | null>(null);
  const [messages, setMessages] = useState<StoredMessageFrame[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  usePolling(
    async (signal) => {
      const path = `/api/rooms/${encodeURIComponent(room)}`;
      const [page, history] = await Promise.all([
        api.get<PresencePageReply>(`${path}/presence?limit=${PRESENCE_SHOWN}`, signal),
        api.get<HistoryReply>(`${path}/history?limit=${HISTORY_SHOWN}`, signal),
      ]);
      setMembers(groupByUser(page.entries));
      setPresence({ count: page.count, shown: page.entries.length });
      setMessages(history.messages);
    },
    setError,
    REFRESH_MS,
    [api, room],
  );

  const disconnect = async (userId: string): Promise<void> => {
    if (!confirm(`Disconnect every connection of ${userId}? Their clients will reconnect after a backoff.`)) return;
    try {
      await api.post("/api/disconnect", { userId, reason: "disconnected from the dashboard" });
      setDone(`Disconnected ${userId}.`);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <section class="panel" aria-labelledby="room-detail-title" data-testid="room-detail">
      <div class="row" style="justify-content:space-between;align-items:center">
        <h2 id="room-detail-title">{room}</h2>
        <button type="button" class="secondary" onClick={onClose}>Close</button>
      </div>
      {error !== null && <p class="error small" role="alert">{error}</p>}
      {done !== null && <p class="small" role="status">{done}</p>}
      <h3 style="font-size:0.95rem">Presence</h3>
      {presence !== null && (
        <p class="small muted" data-testid="room-presence-count" data-count={presence.count}>
          {presence.count === 1 ? "1 connection" : `${presence.count.toLocaleString()} connections`}
          {presence.shown < presence.count ? `; the first ${presence.shown.toLocaleString()} shown` : ""}
        </p>
      )}
      {members === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <ul class="plain" data-testid="room-presence">
          {members.map((member, index) => (
            <li key={`${member.userId ?? "anon"}-${index}`} class="row" style="align-items:center;justify-content:space-between;margin-bottom:0.35rem">
              <span>
                {displayName(member)} <span class="muted small">({member.connections} conn.)</span>
              </span>
              {member.userId !== null && (
                <button type="button" class="danger" data-user={member.userId} aria-label={`Disconnect ${member.userId}`} onClick={() => void disconnect(member.userId!)}>
                  Disconnect
                </button>
              )}
            </li>
          ))}
          {members.length === 0 && <li class="muted small">Nobody is here.</li>}
        </ul>
      )}
      {members?.some((member) => member.userId === null) === true && <p class="small muted">Anonymous members have no user id to disconnect by.</p>}
      <h3 style="font-size:0.95rem">Recent history</h3>
      <ol class="plain" data-testid="room-history">
        {messages.map((message) => (
          <li key={message.offset} class="small" style="margin-bottom:0.25rem">
            <span class="muted">#{message.offset} {new Date(message.ts).toLocaleTimeString()} {message.from?.userId ?? ""}</span>
            <pre class="json">{JSON.stringify(message.data)}</pre>
          </li>
        ))}
        {messages.length === 0 && <li class="muted small">No stored messages.</li>}
      </ol>
    </section>
  );
}

import { Emitter } from "./emitter.js";
import type { SwitchboardClientError } from "./errors.js";
import type { TrackedRequest } from "./requests.js";
import { LiveGapFill, classifyLive } from "./live-gaps.js";
import { PresenceView } from "./presence-view.js";
import type { DefaultEvents, EventData, EventType } from "../protocol/event-map.js";
import type { PresenceMembersReply, PublishReply } from "../protocol/replies.js";
import type { EventFrame, HistoryPage, JoinReply, PresenceConnection, PresenceDiff, PresenceEvent, PresenceMember, PresencePage, RoomMessage } from "./types.js";

/**
 * The frame of a custom event: for each declared event type, its frame, so that checking
 * `frame.type` narrows `frame.data`. A map that declares no event types leaves it untyped.
 */
export type EventFrameOf<Events> = [EventType<Events>] extends [never]
  ? EventFrame
  : { [Type in EventType<Events>]: EventFrame<EventData<Events, Type>, Type> }[EventType<Events>];

export interface RoomEvents<Message, Events = DefaultEvents> {
  /** A publication, in offset order, each offset once (recovered ones included). */
  message: (data: Message, frame: RoomMessage<Message>) => void;
  /** Someone joined, left, or changed their presence meta (one call per connection in a coalesced diff). */
  presence: (event: PresenceEvent) => void;
  /**
   * The room's presence changed (a coalesced diff or count was applied, or the
   * member list became complete). `members` is the exact list grouped by user,
   * or undefined in count mode (and while the list is still being fetched).
   */
  members: (info: { count: number; members: PresenceMember[] | undefined }) => void;
  /** After a reconnect, or a skipped offset on a live connection, every missed message was delivered (`missed` of them). */
  recovered: (info: { missed: number; offset: number; epoch: string }) => void;
  /**
   * After a reconnect, or on a live connection when the room's epoch changed or a skipped offset
   * could not be read back, the gap could not be filled (too old, or history lost): reload state.
   */
  reset: (info: { offset: number; epoch: string }) => void;
  /**
   * A custom event the server sent to exactly this room, typed by the client's event map:
   * narrow on `frame.type` to get that event's `frame.data` (`data` is the union of them all).
   */
  event: (type: EventFrameOf<Events>["type"], data: EventFrameOf<Events>["data"], frame: EventFrameOf<Events>) => void;
  /** Rejoining after a reconnect failed (e.g. forbidden now); the room is left. */
  error: (error: SwitchboardClientError | Error) => void;
}

/** What a room needs from its client. */
export interface RoomHost {
  request(frame: Record<string, unknown> & { type: string }, options?: Partial<TrackedRequest>): Promise<unknown>;
  forget(room: Room<unknown>): void;
}

export interface PublishOptions {
  /** Skip history (typing, cursors): not recoverable, no offset. */
  volatile?: boolean;
  /** false leaves this connection out of the delivery. */
  echo?: boolean;
  timeout?: number;
}

/**
 * A joined room. Tracks the last offset it delivered so a rejoin after a
 * reconnect asks for exactly what was missed, and drops anything already seen.
 */
export class Room<Message = unknown, Events = DefaultEvents> {
  readonly name: string;
  // Untyped events inside, so that rooms of clients with different maps stay assignable; `on` types them.
  private readonly emitter = new Emitter<RoomEvents<Message>>();
  private lastOffset: number | undefined;
  private currentEpoch: string | undefined;
  /** Set while a recovery replay is arriving: the offset it ends at. */
  private recoveringUntil: { offset: number; missed: number } | undefined;
  private readonly view = new PresenceView();
  /** Bumped by every join reply, so that a sync of an earlier membership stops. */
  private syncGeneration = 0;
  /** Set while a gap seen on the live connection is read back from history; live frames wait in it. */
  private filling: LiveGapFill<Message> | undefined;
  /** The presence meta this client set, set again after every rejoin (the new connection starts without it). */
  private ownMeta: { meta: Record<string, unknown>; expiresAt: number | undefined } | undefined;

  constructor(
    name: string,
    private readonly host: RoomHost,
  ) {
    this.name = name;
  }

  /** The offset of the last message delivered (or the room's offset when joined). */
  get offset(): number | undefined {
    return this.lastOffset;
  }

  get epoch(): string | undefined {
    return this.currentEpoch;
  }

  /**
   * Who is in the room, grouped by user, kept exact by the server's presence
   * diffs; undefined in rooms without presence, in count mode, and until the
   * list is complete (see the `members` event).
   */
  get members(): PresenceMember[] | undefined {
    return this.view.members;
  }

  /** Every present connection (the same list, one row per connection), when it is kept. */
  get presenceConnections(): PresenceConnection[] | undefined {
    return this.view.connections;
  }

  /** How many connections are present (exact with a list, else the server's latest count). */
  get presenceCount(): number | undefined {
    return this.view.count;
  }

  /**
   * What the room's presence frames carry: "list" (then `members` is the exact list, or
   * undefined while it is being fetched), "count" (only `presenceCount`), or undefined
   * in rooms without presence.
   */
  get presenceMode(): "list" | "count" | undefined {
    return this.view.mode;
  }

  /** @deprecated Use `members`: the member list, now kept current rather than frozen at the join. */
  get initialPresence(): PresenceMember[] | undefined {
    return this.view.members;
  }

  on<Event extends keyof RoomEvents<Message, Events>>(event: Event, listener: RoomEvents<Message, Events>[Event]): () => void {
    return this.emitter.on(event, listener as RoomEvents<Message>[Event]);
  }

  off<Event extends keyof RoomEvents<Message, Events>>(event: Event, listener: RoomEvents<Message, Events>[Event]): void {
    this.emitter.off(event, listener as RoomEvents<Message>[Event]);
  }

  async publish(data: Message, options: PublishOptions = {}): Promise<PublishReply> {
    const frame: Record<string, unknown> & { type: string } = { type: "publish", room: this.name, data };
    if (options.volatile === true) frame.volatile = true;
    if (options.echo === false) frame.echo = false;
    return (await this.host.request(frame, timeout(options.timeout))) as PublishReply;
  }

  /** Who is in the room, across all nodes: every member, grouped by user (one request; big rooms: `presencePage`). */
  async presence(options: { timeout?: number } = {}): Promise<PresenceMember[]> {
    const reply = (await this.host.request({ type: "presence", room: this.name }, timeout(options.timeout))) as PresenceMembersReply;
    return reply.members;
  }

  /** One page of the room's connections; pass the returned cursor for the next (null: done). */
  async presencePage(options: { cursor?: string; limit?: number; timeout?: number } = {}): Promise<PresencePage> {
    const frame: Record<string, unknown> & { type: string } = { type: "presence", room: this.name, limit: options.limit ?? 100 };
    if (options.cursor !== undefined) frame.cursor = options.cursor;
    return (await this.host.request(frame, timeout(options.timeout))) as PresencePage;
  }

  /** Sets this connection's presence meta (null clears it); with ttlMs it clears itself. */
  async setMeta(meta: Record<string, unknown> | null, options: { ttlMs?: number; timeout?: number } = {}): Promise<void> {
    const frame: Record<string, unknown> & { type: string } = { type: "presence", room: this.name, meta };
    if (options.ttlMs !== undefined) frame.ttlMs = options.ttlMs;
    await this.host.request(frame, timeout(options.timeout));
    this.ownMeta = meta === null ? undefined : { meta, expiresAt: options.ttlMs === undefined ? undefined : Date.now() + options.ttlMs };
  }

  async history(options: { limit?: number; since?: { offset: number; epoch: string }; timeout?: number } = {}): Promise<HistoryPage<Message>> {
    const frame: Record<string, unknown> & { type: string } = { type: "history", room: this.name };
    if (options.limit !== undefined) frame.limit = options.limit;
    if (options.since !== undefined) frame.since = options.since;
    return (await this.host.request(frame, timeout(options.timeout))) as HistoryPage<Message>;
  }

  /** Leaves the room; it is no longer rejoined after reconnects. */
  async leave(options: { timeout?: number } = {}): Promise<void> {
    this.host.forget(this as Room<unknown>);
    this.recoveringUntil = undefined;
    this.filling = undefined;
    try {
      await this.host.request({ type: "leave", room: this.name }, { ...timeout(options.timeout), queue: false });
    } catch (error) {
      // Not connected, or not a member any more: either way the room is left.
      const code = (error as SwitchboardClientError).code;
      if (code !== "disconnected" && code !== "not_found" && code !== "closed") throw error;
    }
  }

  /** After a rejoin: the meta set before the reconnect, for what is left of its TTL. */
  private restoreMeta(): void {
    const own = this.ownMeta;
    if (own === undefined) return;
    const remaining = own.expiresAt === undefined ? undefined : Math.ceil(own.expiresAt - Date.now());
    if (remaining !== undefined && remaining < 1) {
      this.ownMeta = undefined;
      return;
    }
    const frame: Record<string, unknown> & { type: string } = { type: "presence", room: this.name, meta: own.meta };
    if (remaining !== undefined) frame.ttlMs = remaining;
    // Best effort: a connection lost again rejoins (and restores) once more.
    this.host.request(frame, { queue: false }).catch(() => undefined);
  }

  /** Where to resume from after a reconnect. */
  position(): { offset: number; epoch: string } | undefined {
    return this.lastOffset === undefined || this.currentEpoch === undefined ? undefined : { offset: this.lastOffset, epoch: this.currentEpoch };
  }

  /** @internal Applies a join reply; runs before any frame that follows it. */
  joined(reply: JoinReply, since: { offset: number; epoch: string } | undefined): void {
    // A rejoin's own recovery replaces a live gap fill that was cut short by the reconnect.
    this.filling = undefined;
    this.restoreMeta();
    const generation = ++this.syncGeneration;
    const cursor = this.view.reset(reply.presence);
    if (cursor !== null && cursor !== undefined) void this.sync(cursor, generation);
    else if (reply.presence !== undefined) this.emitMembers();
    this.currentEpoch = reply.epoch;
    if (since === undefined) {
      this.lastOffset = Math.max(this.lastOffset ?? 0, reply.offset);
      return;
    }
    if (reply.recovered === true) {
      // The missed messages follow this reply; keep lastOffset so they pass dedupe.
      const missed = Math.max(0, reply.offset - since.offset);
      if (missed === 0 || (this.lastOffset ?? 0) >= reply.offset) this.emitter.emit("recovered", { missed: 0, offset: reply.offset, epoch: reply.epoch });
      else this.recoveringUntil = { offset: reply.offset, missed };
      return;
    }
    this.lastOffset = reply.offset;
    this.recoveringUntil = undefined;
    this.emitter.emit("reset", { offset: reply.offset, epoch: reply.epoch });
  }

  /** @internal */
  receiveMessage(frame: RoomMessage<Message>): void {
    if (this.filling !== undefined) {
      this.filling.hold(frame);
      return;
    }
    if (typeof frame.offset === "number") {
      const verdict = classifyLive(frame, this.lastOffset, this.currentEpoch, this.recoveringUntil !== undefined);
      if (verdict === "duplicate") return;
      if (verdict !== "next") return this.fillGap(frame, verdict === "new_epoch");
      this.lastOffset = frame.offset;
    }
    this.emitter.emit("message", frame.data, frame);
    const recovering = this.recoveringUntil;
    if (recovering !== undefined && this.lastOffset !== undefined && this.lastOffset >= recovering.offset) {
      this.recoveringUntil = undefined;
      this.emitter.emit("recovered", { missed: recovering.missed, offset: recovering.offset, epoch: this.currentEpoch ?? "" });
    }
  }

  /**
   * A live frame skipped offsets, or came from a new epoch: read the missed ones back with
   * `history since`, holding live frames meanwhile, then deliver in order; `reset` when history
   * cannot fill the gap. A new epoch always resets first (what the old one still had is gone),
   * then fills what the new epoch kept.
   */
  private fillGap(first: RoomMessage<Message>, newEpoch: boolean): void {
    if (newEpoch) {
      this.currentEpoch = first.epoch;
      this.lastOffset = 0;
      this.emitter.emit("reset", { offset: 0, epoch: first.epoch ?? "" });
    }
    const since = { offset: this.lastOffset ?? 0, epoch: this.currentEpoch ?? "" };
    const fill = new LiveGapFill<Message>(since, first, newEpoch);
    this.filling = fill;
    if (fill.missing === 0) return this.finishFill(fill, []);
    const frame = { type: "history", room: this.name, since, limit: Math.min(fill.missing, MAX_HISTORY_PAGE) };
    this.host.request(frame, { queue: false }).then(
      (page) => this.finishFill(fill, (page as HistoryPage<Message>).messages),
      (error: unknown) => {
        const code = (error as SwitchboardClientError).code;
        // The connection dropped: the rejoin asks for the same gap with `since`.
        if (code === "disconnected" || code === "closed") {
          if (this.filling === fill) this.filling = undefined;
          return;
        }
        this.finishFill(fill, undefined);
      },
    );
  }

  private finishFill(fill: LiveGapFill<Message>, messages: RoomMessage<Message>[] | undefined): void {
    if (this.filling !== fill) return;
    this.filling = undefined;
    const missed = fill.covering(messages);
    if (missed === undefined) {
      this.lastOffset = fill.first.offset! - 1;
      if (!fill.resetAnnounced) this.emitter.emit("reset", { offset: this.lastOffset, epoch: this.currentEpoch ?? "" });
    } else {
      for (const message of missed) this.receiveMessage(message);
      if (missed.length > 0) this.emitter.emit("recovered", { missed: missed.length, offset: this.lastOffset ?? 0, epoch: this.currentEpoch ?? "" });
    }
    // Held frames go through the same checks: one of them may open the next gap.
    for (const held of fill.held) this.receiveMessage(held);
  }

  /** @internal Applies a presence frame: a coalesced diff, or a count. */
  receivePresence(data: PresenceDiff | PresenceEvent): void {
    const diff = toDiff(data, this.view.count);
    let applied = this.view.applyDiff(diff);
    if (applied.needsSync) {
      // The room left count mode: fetch the list again, keeping what this diff says.
      this.view.restart();
      applied = this.view.applyDiff(diff);
      void this.sync(undefined, this.syncGeneration);
    }
    for (const event of applied.events) this.emitter.emit("presence", event);
    this.emitMembers();
  }

  /** Fetches the remaining pages of the member list; diffs keep applying meanwhile. */
  private async sync(cursor: string | undefined, generation: number): Promise<void> {
    // Bounded: a room of a million connections is a thousand pages.
    for (let round = 0; round < 10_000; round++) {
      let page: PresencePage;
      try {
        const frame: Record<string, unknown> & { type: string } = { type: "presence", room: this.name, limit: SYNC_PAGE };
        if (cursor !== undefined) frame.cursor = cursor;
        page = (await this.host.request(frame, { queue: false })) as PresencePage;
      } catch {
        // Disconnected (the rejoin starts over) or refused: the list stays incomplete.
        if (generation === this.syncGeneration) this.view.abandon();
        return;
      }
      if (generation !== this.syncGeneration || !this.view.syncing) return;
      this.view.applyPage(page);
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    this.emitMembers();
  }

  private emitMembers(): void {
    const count = this.view.count;
    if (count !== undefined) this.emitter.emit("members", { count, members: this.view.members });
  }

  /** @internal */
  receiveEvent(frame: EventFrame): void {
    this.emitter.emit("event", frame.type, frame.data, frame);
  }

  /** @internal Rejoining failed for good. */
  fail(error: SwitchboardClientError | Error): void {
    this.emitter.emit("error", error);
  }
}

/** Page size the SDK fetches a member list with (the server's largest). */
const SYNC_PAGE = 1000;

/** Accepts the per-change presence frames of earlier servers too. */
function toDiff(data: PresenceDiff | PresenceEvent, count: number | undefined): PresenceDiff {
  if (!("event" in data)) return data;
  const entry: PresenceConnection = { connectionId: data.connectionId, userId: data.userId };
  if (data.meta !== undefined) entry.meta = data.meta;
  const delta = data.event === "join" ? 1 : data.event === "leave" ? -1 : 0;
  const next = Math.max(0, (count ?? 0) + delta);
  if (data.event === "leave") return { count: next, left: [{ connectionId: data.connectionId, userId: data.userId }] };
  return data.event === "join" ? { count: next, joined: [entry] } : { count: next, updated: [entry] };
}

/** The largest page the `history` command returns. */
const MAX_HISTORY_PAGE = 1000;

function timeout(ms: number | undefined): Partial<TrackedRequest> {
  return ms === undefined ? {} : { timeoutMs: ms };
}

import { preciseNow } from "../broker/broker.js";
import type { HistoryPage, HistoryStore } from "../history/history-store.js";
import type { Logger } from "../log/logger.js";
import type { PresenceEntry, PresenceStore } from "../presence/presence-store.js";
import { TurnBatches } from "../presence/turn-batches.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { PresenceMember, PresencePage, PresenceSnapshot, RecoveryPosition } from "../protocol/frames.js";
import type { JoinReply } from "../protocol/replies.js";
import { assertCarriable, assertDataSize } from "../protocol/payload-limits.js";
import { PreparedFrame } from "../delivery/prepared-frame.js";
import { messageFrameHead, volatileMessageFrame } from "../protocol/message-frame.js";
import type { PublishOptions, PublishResult } from "../delivery/broadcast-operator.js";
import type { Connection } from "../delivery/connection.js";
import type { FanOut, RoomPublication } from "../delivery/fan-out.js";
import type { Hub } from "../delivery/hub.js";
import { PresenceAnnouncer } from "./presence-announcer.js";
import { PresenceMeta } from "./presence-meta.js";
import type { ResolvedRoomPolicy, RoomPolicies } from "./room-policy.js";

/** What a join answers: the protocol's join reply (src/protocol/replies.ts). */
export type JoinResult = JoinReply;

export interface PendingJoin {
  result: JoinResult;
  /** Sends the replayed messages, then whatever arrived live meanwhile; call after the reply went out. */
  flush(): void;
}

export interface RoomServiceDeps {
  node: string;
  hub: Hub;
  /** Every broker subscription and publish goes through it. */
  fanOut: FanOut;
  presence: PresenceStore;
  history: HistoryStore;
  policies: RoomPolicies;
  logger: Logger;
  /** Coalescing interval of presence frames (default 100 ms). */
  presenceIntervalMs?: number;
  onJoin(connection: Connection, room: string): void;
  onLeave(connection: Connection, room: string): void;
}

/** Most messages a single recovery replays; a larger gap is reported as not recovered. */
export const MAX_RECOVERY_MESSAGES = 10_000;
/** Members in the first presence page of a join reply; the rest are paged with the `presence` command. */
export const JOIN_PRESENCE_PAGE = 100;

/**
 * Room membership with its side effects: the room's broker subscription (held by the
 * fan-out while the room has local members), presence, join-time recovery from
 * history, and publications.
 */
export class RoomService {
  /** Client-set presence meta (status, typing) with optional TTLs. */
  readonly meta: PresenceMeta;
  /** Coalesced presence frames (src/rooms/presence-announcer.ts). */
  readonly announcer: PresenceAnnouncer;
  private readonly positionReads = new TurnBatches<undefined, RecoveryPosition>((room) => this.deps.history.position(room));
  private readonly deps: RoomServiceDeps;
  /** Joins in flight, per connection and room: a second join of a room answers with the first's outcome. */
  private readonly joining = new WeakMap<Connection, Map<string, Promise<PendingJoin>>>();

  constructor(deps: RoomServiceDeps) {
    this.deps = deps;
    this.announcer = new PresenceAnnouncer({
      fanOut: deps.fanOut,
      hub: deps.hub,
      presence: deps.presence,
      policies: deps.policies,
      logger: deps.logger,
      ...(deps.presenceIntervalMs === undefined ? {} : { intervalMs: deps.presenceIntervalMs }),
    });
    this.meta = new PresenceMeta({ presence: deps.presence, logger: deps.logger, announce: (room, change) => this.announcer.announce(room, change) });
  }

  async join(connection: Connection, room: string, since: RecoveryPosition | undefined, meta?: Record<string, unknown>): Promise<PendingJoin> {
    if (connection.rooms.has(room)) {
      // The connection is in the room from the first step of its first join: while that join is
      // in flight, this one succeeds or fails with it, and is never the only one to say "joined".
      await this.joining.get(connection)?.get(room);
      let position: RecoveryPosition;
      try {
        position = await this.positionOf(room);
      } catch (error) {
        throw unavailable(error, this.deps.logger);
      }
      return { result: { room, ...position }, flush: noop };
    }
    let inFlight = this.joining.get(connection);
    if (inFlight === undefined) this.joining.set(connection, (inFlight = new Map()));
    const joined = this.joinNew(connection, room, since, meta);
    inFlight.set(room, joined);
    const settled = (): void => {
      if (inFlight.get(room) === joined) inFlight.delete(room);
      // Nothing kept for a connection with no join in flight: idle connections cost no map.
      if (inFlight.size === 0 && this.joining.get(connection) === inFlight) this.joining.delete(connection);
    };
    joined.then(settled, settled);
    return joined;
  }

  private async joinNew(connection: Connection, room: string, since: RecoveryPosition | undefined, meta: Record<string, unknown> | undefined): Promise<PendingJoin> {
    const { hub, history, presence, policies } = this.deps;
    const policy = policies.resolve(room);
    // Hold the room's frames until the reply is out: recovery replays first, and
    // presence frames built during the join must not overtake the snapshot.
    if (since !== undefined || policy.presence) connection.startHolding(room);
    // Subscribe before reading the position or history, so nothing published in between is missed.
    if (hub.joinRoom(connection, room)) {
      history.occupied?.(room);
      this.deps.fanOut.roomOccupied(room);
    }
    let page: HistoryPage | undefined;
    let position: RecoveryPosition;
    const entry: PresenceEntry | undefined = policy.presence ? { connectionId: connection.id, userId: connection.userId, node: this.deps.node, ...(meta === undefined ? {} : { meta }) } : undefined;
    let added: Promise<number | void> | undefined;
    try {
      await this.deps.fanOut.roomSubscribed(room);
      // The presence entry is written while the position is read: on a shared store one round trip instead of two.
      // Not for a connection that left meanwhile: its leave has run, and nothing would remove the entry.
      if (entry !== undefined && connection.rooms.has(room)) {
        added = presence.add(room, entry);
        // Observed below, once the history read is done.
        added.catch(() => undefined);
      }
      if (since !== undefined) {
        page = await history.read(room, since, Math.min(MAX_RECOVERY_MESSAGES, Math.max(policy.history.size, 1)));
        position = { offset: page.offset, epoch: page.epoch };
      } else position = await this.positionOf(room);
    } catch (error) {
      connection.stopHolding(room);
      if (added !== undefined) await presence.remove(room, connection.id).catch(() => undefined);
      await this.leave(connection, room, false);
      throw unavailable(error, this.deps.logger);
    }
    const result: JoinResult = { room, ...position };
    if (added !== undefined) {
      try {
        const count = await added;
        if (connection.rooms.has(room)) result.presence = await this.snapshot(room, policy, typeof count === "number" ? count : undefined);
      } catch (error) {
        // A shared store or broker went away mid-join: undo the membership so nothing half-joined remains.
        connection.stopHolding(room);
        await presence.remove(room, connection.id).catch(() => undefined);
        await this.leave(connection, room, false);
        throw unavailable(error, this.deps.logger);
      }
    }
    if (!connection.rooms.has(room)) {
      // The connection closed or left while the join was in flight; its leave removed the entry, and
      // announcing the join now would list it again after its leave.
      connection.stopHolding(room);
      throw new SwitchboardError("conflict", "The room was left before the join completed.");
    }
    if (added !== undefined && entry !== undefined) this.announcer.announce(room, { kind: "join", connectionId: entry.connectionId, userId: entry.userId, ...(meta === undefined ? {} : { meta }) });
    const recovered = page?.complete;
    if (recovered !== undefined) result.recovered = recovered;
    this.deps.onJoin(connection, room);
    const flush = (): void => {
      // Released first: the flush is synchronous, so nothing arrives in between, and no failure below can leave frames held.
      const held = connection.stopHolding(room);
      if (since === undefined) {
        // Only presence joins hold without recovery: send what arrived during the join, minus publications the reply's offset covers.
        for (const { offset, frame } of held) if (offset === undefined || offset > position.offset) connection.sendPrepared(frame);
        return;
      }
      let last = since.offset;
      if (page !== undefined && page.complete) {
        for (const message of page.messages) {
          connection.sendPrepared(new PreparedFrame(message.frame));
          last = message.offset;
        }
      }
      const top = Math.max(last, page?.offset ?? 0);
      for (const { offset, frame } of held) {
        if (offset === undefined || offset > top) connection.sendPrepared(frame);
      }
    };
    return { result, flush };
  }

  /** Resolves false when the connection was not a member. */
  async leave(connection: Connection, room: string, announce = true): Promise<boolean> {
    if (!connection.rooms.has(room)) return false;
    connection.stopHolding(room);
    this.meta.forget(connection.id, room);
    if (this.deps.hub.leaveRoom(connection, room)) {
      this.deps.history.vacated?.(room);
      this.deps.fanOut.roomVacated(room);
    }
    if (announce && this.deps.policies.resolve(room).presence) {
      try {
        await this.deps.presence.remove(room, connection.id);
      } catch (error) {
        // The store keeps the removal pending until it answers again (see RedisPresenceStore.remove); the leave
        // is announced all the same, or every other member would keep the connection listed.
        this.deps.logger.warn({ err: error, room }, "presence removal failed; the store retries it");
      }
      this.announcer.announce(room, { kind: "leave", connectionId: connection.id, userId: connection.userId });
    }
    if (announce) this.deps.onLeave(connection, room);
    return true;
  }

  async leaveAll(connection: Connection): Promise<void> {
    await Promise.all([...connection.rooms].map((room) => this.leave(connection, room)));
  }

  /**
   * Builds a publication's frame (serialized once, here) and hands it to the fan-out.
   * `policy`: the room's policy when the caller resolved it already (admission did, for a connection).
   */
  publish(room: string, data: unknown, options: PublishOptions = {}, policy?: ResolvedRoomPolicy): Promise<PublishResult> {
    let publication: RoomPublication;
    try {
      // Every publishing path (frames, server API, library) passes here: refuse what an encoding could not carry before anything is stored.
      assertCarriable(data, "data");
      const sentAt = preciseNow();
      const ts = Math.floor(sentAt);
      const except = options.except;
      if (options.volatile === true) {
        const frame = volatileMessageFrame(room, data, ts, options.from, options.event);
        assertDataSize(frame, "data");
        publication = { volatile: true, frame, except, sentAt };
      } else {
        const head = messageFrameHead(room, data, ts, options.from, options.event);
        assertDataSize(head, "data");
        publication = { volatile: false, head, policy: (policy ?? this.deps.policies.resolve(room)).history, except, sentAt };
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.deps.fanOut.publishRoom(room, publication);
  }

  async readHistory(room: string, since: RecoveryPosition | undefined, limit: number): Promise<HistoryPage> {
    try {
      return await this.deps.history.read(room, since, limit);
    } catch (error) {
      throw unavailable(error, this.deps.logger);
    }
  }

  async members(room: string): Promise<PresenceMember[]> {
    try {
      return await this.deps.presence.members(room);
    } catch (error) {
      throw unavailable(error, this.deps.logger);
    }
  }

  /** One page of a room's presence, for the `presence` command and the server API. */
  async presencePage(room: string, cursor: string | undefined, limit: number): Promise<PresencePage> {
    try {
      const [count, page] = await Promise.all([this.deps.presence.count(room), this.deps.presence.page(room, cursor, limit)]);
      return { count, entries: page.entries.map(({ connectionId, userId, meta }) => (meta === undefined ? { connectionId, userId } : { connectionId, userId, meta })), cursor: page.cursor };
    } catch (error) {
      throw unavailable(error, this.deps.logger);
    }
  }

  /**
   * Announces the leave of a connection whose node died or closed with it still present
   * (reported by a shared presence store). Coalesced like every change; `announcer.close()`
   * sends what is pending.
   */
  async announceExpired(room: string, userId: string | null, connectionId: string): Promise<void> {
    // A store that published the leave with the removal (Redis) keeps it ordered before a write-back's join.
    if (this.deps.presence.announcesExpired === true) return;
    this.announcer.announce(room, { kind: "leave", connectionId, userId });
  }

  /**
   * The room's position for a join without recovery. On a shared store the joins of one
   * room in one turn of the event loop read it once: each of them joined the hub before the
   * read is sent, so whatever is published after it reaches them, held until their reply.
   * In memory a read costs nothing, so it is not deferred.
   */
  private positionOf(room: string): Promise<RecoveryPosition> {
    const history = this.deps.history;
    return history.name === "memory" ? history.position(room) : this.positionReads.add(room, undefined);
  }

  /** The join reply's presence: the count, and the first page while the room lists its members. */
  private async snapshot(room: string, policy: ResolvedRoomPolicy, known: number | undefined): Promise<PresenceSnapshot> {
    const count = known ?? (await this.deps.presence.count(room));
    if (policy.presenceMode === "count" || count > policy.presenceListLimit) return { count, mode: "count" };
    const page = await this.presencePage(room, undefined, JOIN_PRESENCE_PAGE);
    return { count: page.count, mode: "list", entries: page.entries, cursor: page.cursor };
  }
}

function unavailable(error: unknown, logger: Logger): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  logger.warn({ err: error }, "broker or store unavailable");
  return new SwitchboardError("unavailable", "The message broker or store is unavailable; retry later.");
}

function noop(): void {}

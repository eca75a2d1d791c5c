import type { Logger } from "../log/logger.js";
import type { PresenceChange } from "../presence/presence-diff.js";
import type { PresenceStore } from "../presence/presence-store.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import { assertCarriable } from "../protocol/payload-limits.js";
import type { Connection } from "../delivery/connection.js";

/** Largest presence meta, as JSON: it is copied into every member list and event. */
export const MAX_PRESENCE_META_BYTES = 1_024;
/** Longest TTL of a meta (a typing indicator lasts seconds, not hours). */
export const MAX_PRESENCE_META_TTL_MS = 600_000;

export interface PresenceMetaDeps {
  presence: PresenceStore;
  logger: Logger;
  /** Announces the change to the room (coalesced with its other presence changes). */
  announce(room: string, change: PresenceChange): void;
}

/**
 * A connection's presence meta in a room (status, "typing"): set by the client,
 * stored with its presence entry on every node, announced as an `update` event,
 * and cleared again after `ttlMs` when one is given. The TTL timer lives on the
 * node that holds the connection; if that node dies, the entry goes with it.
 */
export class PresenceMeta {
  private readonly deps: PresenceMetaDeps;
  /** Pending TTL timers by connection id and room. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(deps: PresenceMetaDeps) {
    this.deps = deps;
  }

  async set(connection: Connection, room: string, meta: unknown, ttlMs: unknown): Promise<{ room: string; meta: Record<string, unknown> | null }> {
    if (meta !== null) assertMeta(meta);
    if (ttlMs !== undefined && (typeof ttlMs !== "number" || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_PRESENCE_META_TTL_MS)) {
      throw new SwitchboardError("bad_request", `"ttlMs" must be an integer from 1 to ${MAX_PRESENCE_META_TTL_MS}.`);
    }
    if (!connection.rooms.has(room)) throw new SwitchboardError("not_found", `Not a member of ${room}.`);
    const value = meta === null ? undefined : (meta as Record<string, unknown>);
    this.clearTimer(connection.id, room);
    await this.apply(connection, room, value);
    if (ttlMs !== undefined && value !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(key(connection.id, room));
        if (connection.rooms.has(room)) this.apply(connection, room, undefined).catch((error: unknown) => this.deps.logger.warn({ err: error, room }, "clearing presence meta failed"));
      }, ttlMs);
      timer.unref();
      this.timers.set(key(connection.id, room), timer);
    }
    return { room, meta: value ?? null };
  }

  /** Drops a pending TTL when the connection leaves the room. */
  forget(connectionId: string, room: string): void {
    this.clearTimer(connectionId, room);
  }

  private async apply(connection: Connection, room: string, meta: Record<string, unknown> | undefined): Promise<void> {
    let updated: boolean;
    try {
      updated = await this.deps.presence.update(room, connection.id, meta);
    } catch (error) {
      this.deps.logger.warn({ err: error, room }, "presence meta update failed");
      throw new SwitchboardError("unavailable", "The presence store is unavailable; retry later.");
    }
    if (!updated) throw new SwitchboardError("not_found", `Not present in ${room}.`);
    const change: PresenceChange = { kind: "update", connectionId: connection.id, userId: connection.userId };
    if (meta !== undefined) change.meta = meta;
    this.deps.announce(room, change);
  }

  private clearTimer(connectionId: string, room: string): void {
    const timer = this.timers.get(key(connectionId, room));
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(key(connectionId, room));
  }
}

function assertMeta(meta: unknown): asserts meta is Record<string, unknown> {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw new SwitchboardError("bad_request", '"meta" must be an object, or null to clear it.');
  assertCarriable(meta, "meta");
  if (JSON.stringify(meta).length > MAX_PRESENCE_META_BYTES) throw new SwitchboardError("too_large", `"meta" is at most ${MAX_PRESENCE_META_BYTES} bytes of JSON.`);
}

/** The optional `meta` of a join frame: the member's presence meta from the start. */
export function readJoinMeta(meta: unknown): Record<string, unknown> | undefined {
  if (meta === undefined || meta === null) return undefined;
  assertMeta(meta);
  return meta;
}

function key(connectionId: string, room: string): string {
  return `${connectionId}\n${room}`;
}

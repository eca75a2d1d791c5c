import type { PresenceMember } from "../protocol/frames.js";

export { groupByUser } from "../protocol/presence-members.js";

/** One connection's presence in one room. */
export interface PresenceEntry {
  connectionId: string;
  userId: string | null;
  node: string;
  meta?: Record<string, unknown>;
}

/**
 * Called for each entry a shared store removed without its connection's leave having
 * been announced (its node stopped heartbeating, or closed with entries left); a
 * returned promise is awaited, so the announcement is out before the store closes.
 */
export type ExpiredPresenceListener = (room: string, entry: PresenceEntry) => unknown;

/**
 * Called for each entry of this node that a shared store found missing and wrote back (another
 * node swept this one while it was alive, or the store lost its data): the entry's leave may
 * have been announced, so its join is announced again.
 */
export type RestoredPresenceListener = (room: string, entry: PresenceEntry) => unknown;

/** One page of a room's entries; `cursor` is null when the iteration is complete. */
export interface PresenceEntryPage {
  entries: PresenceEntry[];
  cursor: string | null;
}

/**
 * Who is in which room, across all nodes. The in-memory store is the reference;
 * a shared store (Redis) lets every node answer for the whole cluster.
 */
export interface PresenceStore {
  readonly name: string;
  /**
   * Adds (or replaces) the connection's entry. May resolve with the room's connection
   * count right after the add, when the store learns it in the same round trip: a join
   * then needs no separate `count`.
   */
  add(room: string, entry: PresenceEntry): Promise<number | void>;
  /** Replaces the meta of an existing entry; resolves false when the connection is not present. */
  update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean>;
  remove(room: string, connectionId: string): Promise<void>;
  /** Members grouped by user: one row per user id (anonymous connections each get their own row). */
  members(room: string): Promise<PresenceMember[]>;
  /** How many connections are present in the room. */
  count(room: string): Promise<number>;
  /**
   * At most `limit` entries, from the start (no cursor) or from where the
   * previous page's cursor left off. Like Redis SCAN: an entry present for the
   * whole iteration is returned at least once; entries added or removed during
   * it may or may not be.
   */
  page(room: string, cursor: string | undefined, limit: number): Promise<PresenceEntryPage>;
  /** Every room with at least one present connection, with its connection count. */
  rooms(): Promise<Array<{ room: string; connections: number }>>;
  /** Optional: shared stores report entries of dead nodes here, so that leaves are announced. */
  onExpired?(listener: ExpiredPresenceListener): void;
  /** Optional: shared stores report this node's entries they wrote back here, so that their joins are announced again. */
  onRestored?(listener: RestoredPresenceListener): void;
  /**
   * True when the store publishes the leaves of the entries it expires itself
   * (atomically with their removal) and the joins of entries it writes back;
   * `onExpired` listeners then must not announce them again.
   */
  readonly announcesExpired?: boolean;
  close(): Promise<void>;
}

import type { PresenceMember } from "../protocol/frames.js";

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
 * Who is in which room, across all nodes. The in-memory store is the reference;
 * a shared store (Redis) lets every node answer for the whole cluster.
 */
export interface PresenceStore {
  readonly name: string;
  add(room: string, entry: PresenceEntry): Promise<void>;
  /** Replaces the meta of an existing entry; resolves false when the connection is not present. */
  update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean>;
  remove(room: string, connectionId: string): Promise<void>;
  /** Members grouped by user: one row per user id (anonymous connections each get their own row). */
  members(room: string): Promise<PresenceMember[]>;
  /** Every room with at least one present connection, with its connection count. */
  rooms(): Promise<Array<{ room: string; connections: number }>>;
  /** Optional: shared stores report entries of dead nodes here, so that leaves are announced. */
  onExpired?(listener: ExpiredPresenceListener): void;
  close(): Promise<void>;
}

/** Groups presence entries by user id; shared by every store so that they all answer alike. */
export function groupByUser(entries: Iterable<PresenceEntry>): PresenceMember[] {
  const byUser = new Map<string, PresenceMember>();
  for (const entry of entries) {
    const key = entry.userId ?? `connection:${entry.connectionId}`;
    const member = byUser.get(key);
    if (member === undefined) {
      const row: PresenceMember = { userId: entry.userId, connections: 1 };
      if (entry.meta !== undefined) row.meta = entry.meta;
      byUser.set(key, row);
    } else {
      member.connections += 1;
      if (entry.meta !== undefined) member.meta = { ...member.meta, ...entry.meta };
    }
  }
  return [...byUser.values()];
}

import type { PresenceMember } from "./frames.js";

/** The fields of a presence entry that a member row is built from. */
interface Grouped {
  connectionId: string;
  userId: string | null;
  meta?: Record<string, unknown>;
}

/**
 * Groups presence entries by user id: one row per user (anonymous connections
 * each get their own row). Shared by every store and by the client SDK, so that
 * a member list reads the same wherever it was built.
 */
export function groupByUser(entries: Iterable<Grouped>): PresenceMember[] {
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

import type { PresenceConnection, PresenceDiff } from "../protocol/frames.js";

/** One change to a room's presence, as the node that holds the connection saw it. */
export interface PresenceChange {
  kind: "join" | "leave" | "update";
  connectionId: string;
  userId: string | null;
  meta?: Record<string, unknown>;
}

/** The lists of a diff, without the count (the node that sends the frame adds it). */
export type PresenceChanges = Omit<PresenceDiff, "count">;

interface NetChange {
  userId: string | null;
  /** Whether the connection was present before the first change of this window. */
  wasPresent: boolean;
  /** Its state after the last change; null when absent. */
  now: PresenceConnection | null;
}

/**
 * Folds a window of presence changes into their net effect per connection: a
 * leave then a rejoin is an update, many meta updates are the last one, and a
 * connection absent at the end is a leave, even one that joined within the
 * window. That leave is never left out: the join was in the store from the
 * moment it was made, so a join reply's snapshot, a page, or an earlier frame
 * (a retried batch that may have arrived after all) can have listed it, and
 * without the leave that member would list it forever. A leave of a connection
 * a member never saw removes nothing there. A connection's changes all come
 * from the node that holds it, in order (one broker channel per room), so the
 * first change tells whether it was present before the window.
 */
export class PresenceDiffBuilder {
  private readonly net = new Map<string, NetChange>();

  get isEmpty(): boolean {
    return this.net.size === 0;
  }

  add(change: PresenceChange): void {
    const now: PresenceConnection | null = change.kind === "leave" ? null : connectionOf(change.connectionId, change.userId, change.meta);
    const known = this.net.get(change.connectionId);
    if (known !== undefined) known.now = now;
    else this.net.set(change.connectionId, { userId: change.userId, wasPresent: change.kind !== "join", now });
  }

  /** Adds the changes of a diff built by another window (another node's batch). */
  addChanges(changes: PresenceChanges): void {
    for (const entry of changes.left ?? []) this.add({ kind: "leave", connectionId: entry.connectionId, userId: entry.userId });
    for (const entry of changes.joined ?? []) this.add({ kind: "join", ...entry });
    for (const entry of changes.updated ?? []) this.add({ kind: "update", ...entry });
  }

  /**
   * The builder of a failed batch's resend: `failed` first, then what `later`
   * collected while it was being sent, as one window (a connection that left in
   * `failed` and joined in `later` is an update, present; one that joined in
   * `failed` and left in `later` is a leave, like any join then leave).
   */
  static resend(failed: PresenceChanges, later: PresenceDiffBuilder): PresenceDiffBuilder {
    const merged = new PresenceDiffBuilder();
    for (const entry of failed.left ?? []) merged.net.set(entry.connectionId, { userId: entry.userId, wasPresent: true, now: null });
    for (const entry of failed.joined ?? []) merged.net.set(entry.connectionId, { userId: entry.userId, wasPresent: false, now: entry });
    for (const entry of failed.updated ?? []) merged.net.set(entry.connectionId, { userId: entry.userId, wasPresent: true, now: entry });
    for (const [connectionId, change] of later.net) {
      const known = merged.net.get(connectionId);
      if (known !== undefined) known.now = change.now;
      else merged.net.set(connectionId, { ...change });
    }
    return merged;
  }

  /** The net lists; empty ones are left out to keep frames small. */
  build(): PresenceChanges {
    const joined: PresenceConnection[] = [];
    const left: Array<{ connectionId: string; userId: string | null }> = [];
    const updated: PresenceConnection[] = [];
    for (const [connectionId, { userId, wasPresent, now }] of this.net) {
      if (now === null) left.push({ connectionId, userId });
      else if (wasPresent) updated.push(now);
      else joined.push(now);
    }
    const changes: PresenceChanges = {};
    if (joined.length > 0) changes.joined = joined;
    if (left.length > 0) changes.left = left;
    if (updated.length > 0) changes.updated = updated;
    return changes;
  }
}

function connectionOf(connectionId: string, userId: string | null, meta: Record<string, unknown> | undefined): PresenceConnection {
  const entry: PresenceConnection = { connectionId, userId };
  if (meta !== undefined) entry.meta = meta;
  return entry;
}

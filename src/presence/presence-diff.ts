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
 * join then a leave in the same window cancel out, a leave then a rejoin is an
 * update, many meta updates are the last one. A connection's changes all come
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

  /** The net lists; empty ones are left out to keep frames small. */
  build(): PresenceChanges {
    const joined: PresenceConnection[] = [];
    const left: Array<{ connectionId: string; userId: string | null }> = [];
    const updated: PresenceConnection[] = [];
    for (const [connectionId, { userId, wasPresent, now }] of this.net) {
      if (now === null) {
        if (wasPresent) left.push({ connectionId, userId });
      } else if (wasPresent) updated.push(now);
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

import type { PresenceConnection, PresenceDiff, PresenceMember, PresencePage, PresenceSnapshot } from "../protocol/frames.js";
import { groupByUser } from "../protocol/presence-members.js";
import type { PresenceEvent } from "./types.js";

/**
 * A room's presence as this client knows it: an exact list of connections in
 * list mode (the join reply's first page, the remaining pages, then every
 * coalesced diff), or only the count in count mode.
 *
 * Pages and diffs race: a page is a snapshot read at some moment, a diff is a
 * change the server made at another. While pages are still arriving, an entry
 * touched by a diff keeps what the diff said (the diff is at least as new as the
 * page, or a later diff will follow); entries no diff touched take the page's
 * word. Once the last page is in, the list is exact and stays exact by diffs.
 */
export class PresenceView {
  private entries: Map<string, PresenceConnection> | undefined;
  private serverCount: number | undefined;
  /** Set while pages are being fetched: connection ids that a diff has spoken for. */
  private touched: Set<string> | undefined;
  private currentMode: "list" | "count" | undefined;

  /**
   * What the room's presence frames carry: "list" (the list is exact, or being
   * fetched, or lost with the connection until the rejoin), "count", or undefined
   * without presence.
   */
  get mode(): "list" | "count" | undefined {
    return this.currentMode;
  }

  /** Whether the list is complete and current. */
  get exact(): boolean {
    return this.entries !== undefined && this.touched === undefined;
  }

  get syncing(): boolean {
    return this.touched !== undefined;
  }

  get count(): number | undefined {
    return this.exact ? this.entries!.size : this.serverCount;
  }

  /** Every present connection, when the list is exact. */
  get connections(): PresenceConnection[] | undefined {
    return this.exact ? [...this.entries!.values()] : undefined;
  }

  /** Members grouped by user, when the list is exact. */
  get members(): PresenceMember[] | undefined {
    return this.exact ? groupByUser(this.entries!.values()) : undefined;
  }

  /** Starts over from a join reply; returns the cursor of the next page to fetch, or null when none is needed. */
  reset(snapshot: PresenceSnapshot | undefined): string | null | undefined {
    this.touched = undefined;
    if (snapshot === undefined) {
      this.entries = undefined;
      this.serverCount = undefined;
      this.currentMode = undefined;
      return null;
    }
    this.serverCount = snapshot.count;
    if (snapshot.mode !== "list" || snapshot.entries === undefined) {
      this.entries = undefined;
      this.currentMode = "count";
      return null;
    }
    this.currentMode = "list";
    this.entries = new Map(snapshot.entries.map((entry) => [entry.connectionId, entry]));
    const cursor = snapshot.cursor ?? null;
    if (cursor !== null) this.touched = new Set();
    return cursor;
  }

  /** Begins a sync from the first page, e.g. after the room came back from count mode. */
  restart(): void {
    this.entries = new Map();
    this.touched = new Set();
    this.currentMode = "list";
  }

  /** Applies one page; `last` when it was the final one. */
  applyPage(page: PresencePage): void {
    if (this.entries === undefined || this.touched === undefined) return;
    for (const entry of page.entries) if (!this.touched.has(entry.connectionId)) this.entries.set(entry.connectionId, entry);
    this.serverCount = page.count;
    if (page.cursor === null) this.touched = undefined;
  }

  /** Gives up on a sync (the connection dropped); the list is not exact until the next one. */
  abandon(): void {
    this.touched = undefined;
    this.entries = undefined;
  }

  /**
   * Applies a diff frame; returns the per-connection events it amounts to, and
   * whether a sync must start (a list arrived while only the count was known).
   *
   * While a list is kept, the events are what changed in it: `leave` for a listed
   * connection that left, `join` for one not listed before, `update` for a listed
   * one whose entry changed. So a `left` entry for a connection this client never
   * listed (it joined and left within one interval, or before this client's
   * snapshot) emits nothing, and a join the snapshot already showed is not repeated.
   * Without a list (only the count known) every entry of the diff is an event.
   */
  applyDiff(diff: PresenceDiff): { events: PresenceEvent[]; needsSync: boolean } {
    this.serverCount = diff.count;
    const isList = diff.joined !== undefined || diff.left !== undefined || diff.updated !== undefined;
    if (!isList) {
      // The room is in count mode now: a list would go stale.
      this.entries = undefined;
      this.touched = undefined;
      this.currentMode = "count";
      return { events: [], needsSync: false };
    }
    const entries = this.entries;
    if (entries === undefined) return { events: eventsOf(diff), needsSync: true };
    const events: PresenceEvent[] = [];
    for (const entry of diff.left ?? []) {
      if (entries.delete(entry.connectionId)) events.push({ event: "leave", userId: entry.userId, connectionId: entry.connectionId });
      this.touched?.add(entry.connectionId);
    }
    for (const entry of [...(diff.joined ?? []), ...(diff.updated ?? [])]) {
      const before = entries.get(entry.connectionId);
      entries.set(entry.connectionId, entry);
      this.touched?.add(entry.connectionId);
      if (before === undefined) events.push(eventOf("join", entry));
      else if (!sameEntry(before, entry)) events.push(eventOf("update", entry));
    }
    return { events, needsSync: false };
  }
}

/** Every entry of a diff as an event, for a client that keeps no list. */
function eventsOf(diff: PresenceDiff): PresenceEvent[] {
  const events: PresenceEvent[] = [];
  for (const entry of diff.left ?? []) events.push({ event: "leave", userId: entry.userId, connectionId: entry.connectionId });
  for (const entry of diff.joined ?? []) events.push(eventOf("join", entry));
  for (const entry of diff.updated ?? []) events.push(eventOf("update", entry));
  return events;
}

function eventOf(event: "join" | "update", entry: PresenceConnection): PresenceEvent {
  return withMeta({ event, userId: entry.userId, connectionId: entry.connectionId }, entry.meta);
}

/** Entries come from the server's JSON, so equal ones serialize alike. */
function sameEntry(a: PresenceConnection, b: PresenceConnection): boolean {
  return a.userId === b.userId && JSON.stringify(a.meta) === JSON.stringify(b.meta);
}

function withMeta(event: PresenceEvent, meta: Record<string, unknown> | undefined): PresenceEvent {
  if (meta !== undefined) event.meta = meta;
  return event;
}

import { PresenceDiffBuilder } from "./presence-diff.js";
import type { PresenceChanges } from "./presence-diff.js";

/**
 * Sends one room's coalesced changes; may be async (a broker publish, a count read).
 * A throw or rejection means the changes did not go out: they are sent again.
 */
export type PresenceFlush = (room: string, changes: PresenceChanges) => void | Promise<void>;

/** A flush that failed: `retryInMs` until the changes are sent again, undefined when they never will be (closed). */
export interface PresenceFlushFailure {
  room: string;
  error: unknown;
  /** Failed flushes of this room in a row, this one included. */
  attempt: number;
  /** Connections whose change the failed batch carried. */
  changes: number;
  retryInMs: number | undefined;
}

export interface PresenceCoalescerOptions {
  /** The coalescing interval: at most one flush per room per interval, retries included. */
  intervalMs: number;
  flush: PresenceFlush;
  onFailure: (failure: PresenceFlushFailure) => void;
  /** A room flushed again after a success (a failed flush that succeeded later); `attempts`: the flushes it took. */
  onRecovered?: (room: string, attempts: number) => void;
}

/** Retries back off from the interval, doubling, up to this (a Redis reconnect's longest backoff too). */
export const MAX_PRESENCE_RETRY_MS = 2_000;

interface RoomWindow {
  /** The changes to send next: a failed batch's, merged first, then the ones that arrived after it. */
  diff: PresenceDiffBuilder;
  timer: NodeJS.Timeout | undefined;
  /** The flush running (awaiting a count or a publish); the next one waits for it. Never rejects. */
  flushing: Promise<void> | undefined;
  /** Failed flushes in a row. */
  failures: number;
}

/**
 * Coalesces a room's presence changes into at most one flush per interval (a
 * throttle with a leading edge): the first change of a quiet room is flushed at
 * the end of the current turn of the event loop, later ones at the end of the
 * interval, all together. A room with nothing to send for a whole interval is
 * forgotten, so idle rooms cost nothing. Used twice per node: for the changes it
 * announces to the cluster, and for the changes it delivers to its members.
 *
 * A batch is never lost: when its flush fails it is merged back in front of the
 * changes that arrived meanwhile and sent again after a bounded backoff, until a
 * flush succeeds (the flush itself decides when there is nothing left to do, e.g.
 * no member left to deliver to) or `drain()` makes a last attempt and reports
 * what it could not send.
 */
export class PresenceCoalescer {
  private readonly windows = new Map<string, RoomWindow>();
  private closed = false;

  constructor(private readonly options: PresenceCoalescerOptions) {}

  /** Adds changes to a room's window; `fill` writes them into the builder. */
  add(room: string, fill: (diff: PresenceDiffBuilder) => void): void {
    if (this.closed) return;
    let window = this.windows.get(room);
    if (window === undefined) {
      window = { diff: new PresenceDiffBuilder(), timer: undefined, flushing: undefined, failures: 0 };
      this.windows.set(room, window);
      fill(window.diff);
      // Leading edge: changes made in this same turn (a burst of frames in one read) join it.
      const leading = window;
      queueMicrotask(() => this.run(room, leading));
      return;
    }
    fill(window.diff);
  }

  /**
   * Flushes what is pending now, once (used on shutdown, so the last leaves still
   * go out): a flush in flight is awaited first, so that a batch it fails is part
   * of the last attempt, in order. What still fails is reported with no retry.
   */
  async drain(): Promise<void> {
    this.closed = true;
    const pending = [...this.windows];
    this.windows.clear();
    await Promise.all(
      pending.map(async ([room, window]) => {
        clearTimeout(window.timer);
        await window.flushing;
        if (window.diff.isEmpty) return;
        const changes = window.diff.build();
        try {
          await this.options.flush(room, changes);
        } catch (error) {
          this.options.onFailure({ room, error, attempt: window.failures + 1, changes: sizeOf(changes), retryInMs: undefined });
        }
      }),
    );
  }

  private run(room: string, window: RoomWindow): void {
    if (this.windows.get(room) !== window) return;
    window.timer = undefined;
    if (window.diff.isEmpty) {
      // A whole interval without changes: the room is quiet again.
      if (window.flushing === undefined) this.windows.delete(room);
      else this.arm(room, window, this.options.intervalMs);
      return;
    }
    if (window.flushing !== undefined) return this.arm(room, window, this.options.intervalMs);
    const changes = window.diff.build();
    window.diff = new PresenceDiffBuilder();
    let result: void | Promise<void>;
    try {
      result = this.options.flush(room, changes);
    } catch (error) {
      this.failed(room, window, changes, error);
      return;
    }
    if (result instanceof Promise) {
      window.flushing = result.then(
        () => this.succeeded(room, window),
        (error: unknown) => this.failed(room, window, changes, error),
      );
    } else this.succeeded(room, window);
    // At most one flush per interval: the next window closes an interval after this one opened.
    if (window.timer === undefined) this.arm(room, window, this.options.intervalMs);
  }

  private succeeded(room: string, window: RoomWindow): void {
    window.flushing = undefined;
    if (window.failures > 0) this.options.onRecovered?.(room, window.failures + 1);
    window.failures = 0;
  }

  private failed(room: string, window: RoomWindow, changes: PresenceChanges, error: unknown): void {
    window.flushing = undefined;
    window.failures++;
    // Sent first, before what arrived meanwhile: a connection that left in the failed batch and rejoined since is present.
    window.diff = PresenceDiffBuilder.resend(changes, window.diff);
    // A drain in progress sends the merged batch itself once this flush settled, and reports it if that fails too.
    if (this.closed) return;
    const retryInMs = Math.min(this.options.intervalMs * 2 ** window.failures, MAX_PRESENCE_RETRY_MS);
    this.options.onFailure({ room, error, attempt: window.failures, changes: sizeOf(changes), retryInMs });
    clearTimeout(window.timer);
    this.arm(room, window, retryInMs);
  }

  private arm(room: string, window: RoomWindow, delayMs: number): void {
    if (this.closed) return;
    window.timer = setTimeout(() => this.run(room, window), delayMs);
    window.timer.unref();
  }
}

function sizeOf(changes: PresenceChanges): number {
  return (changes.joined?.length ?? 0) + (changes.left?.length ?? 0) + (changes.updated?.length ?? 0);
}

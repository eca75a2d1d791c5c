import { PresenceDiffBuilder } from "./presence-diff.js";
import type { PresenceChanges } from "./presence-diff.js";

/** Sends one room's coalesced changes; may be async (a broker publish, a count read). */
export type PresenceFlush = (room: string, changes: PresenceChanges) => void | Promise<void>;

interface RoomWindow {
  diff: PresenceDiffBuilder;
  timer: NodeJS.Timeout | undefined;
  /** A flush is running (awaiting a count or a publish); the next one waits for it. */
  busy: boolean;
}

/**
 * Coalesces a room's presence changes into at most one flush per interval (a
 * throttle with a leading edge): the first change of a quiet room is flushed at
 * the end of the current turn of the event loop, later ones at the end of the
 * interval, all together. A room with nothing to send for a whole interval is
 * forgotten, so idle rooms cost nothing. Used twice per node: for the changes it
 * announces to the cluster, and for the changes it delivers to its members.
 */
export class PresenceCoalescer {
  private readonly windows = new Map<string, RoomWindow>();
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: PresenceFlush,
    private readonly onError: (error: unknown, room: string) => void,
  ) {}

  /** Adds changes to a room's window; `fill` writes them into the builder. */
  add(room: string, fill: (diff: PresenceDiffBuilder) => void): void {
    if (this.closed) return;
    let window = this.windows.get(room);
    if (window === undefined) {
      window = { diff: new PresenceDiffBuilder(), timer: undefined, busy: false };
      this.windows.set(room, window);
      fill(window.diff);
      // Leading edge: changes made in this same turn (a burst of frames in one read) join it.
      const leading = window;
      queueMicrotask(() => this.run(room, leading));
      return;
    }
    fill(window.diff);
  }

  /** Flushes what is pending now (used on shutdown, so the last leaves still go out). */
  async drain(): Promise<void> {
    this.closed = true;
    const pending = [...this.windows];
    this.windows.clear();
    await Promise.allSettled(
      pending.map(async ([room, window]) => {
        clearTimeout(window.timer);
        if (!window.diff.isEmpty) await this.flush(room, window.diff.build());
      }),
    );
  }

  private run(room: string, window: RoomWindow): void {
    if (this.windows.get(room) !== window) return;
    window.timer = undefined;
    if (window.diff.isEmpty) {
      // A whole interval without changes: the room is quiet again.
      if (!window.busy) this.windows.delete(room);
      else this.arm(room, window);
      return;
    }
    if (window.busy) return this.arm(room, window);
    const changes = window.diff.build();
    window.diff = new PresenceDiffBuilder();
    window.busy = true;
    let result: void | Promise<void>;
    try {
      result = this.flush(room, changes);
    } catch (error) {
      result = undefined;
      this.onError(error, room);
    }
    const done = (): void => {
      window.busy = false;
    };
    if (result instanceof Promise) result.then(done, (error: unknown) => (done(), this.onError(error, room)));
    else done();
    this.arm(room, window);
  }

  private arm(room: string, window: RoomWindow): void {
    if (this.closed) return;
    window.timer = setTimeout(() => this.run(room, window), this.intervalMs);
    window.timer.unref();
  }
}

import type { Logger } from "../log/logger.js";

/**
 * Work started on behalf of connections that shutdown must wait for: connection
 * cleanups and the promises lifecycle listeners return. A rejection is logged
 * here, so nothing tracked can become an unhandled rejection.
 */
export class PendingWork {
  private readonly pending = new Set<Promise<unknown>>();
  private waiters: Array<() => void> = [];

  constructor(private readonly logger: Logger) {}

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => this.logger.error({ err: error }, "lifecycle listener failed"),
    );
    this.pending.add(settled);
    void settled.finally(() => {
      this.pending.delete(settled);
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    });
  }

  /** How many tracked promises have not settled yet. */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when the next tracked promise settles (never at once: the caller rechecks its own condition). */
  next(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

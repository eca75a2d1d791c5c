import { EventEmitter } from "node:events";
import type { LifecycleEvents } from "../cluster/lifecycle-publisher.js";
import type { Logger } from "../log/logger.js";
import type { PendingWork } from "./pending-work.js";

type LifecycleListener<Event extends keyof LifecycleEvents> = (...args: LifecycleEvents[Event]) => unknown;

/**
 * The Switchboard's lifecycle listeners (`connect`, `disconnect`, `join`, `leave`,
 * `message`, `error`). A listener may return a promise: it is tracked in the
 * pending work shutdown waits for, so the broker and stores close only after it.
 */
export class LifecycleEmitter {
  private readonly events = new EventEmitter();

  constructor(
    private readonly logger: Logger,
    private readonly work: PendingWork,
  ) {}

  on<Event extends keyof LifecycleEvents>(event: Event, listener: LifecycleListener<Event>): void {
    this.events.on(event, listener as (...args: unknown[]) => void);
  }

  off<Event extends keyof LifecycleEvents>(event: Event, listener: LifecycleListener<Event>): void {
    this.events.off(event, listener as (...args: unknown[]) => void);
  }

  /** Lets the hot path skip building an event's arguments when nobody listens. */
  has(event: keyof LifecycleEvents): boolean {
    return this.events.listenerCount(event) > 0;
  }

  /**
   * Runs an event's listeners in order. A throw is logged; promises they return are
   * tracked (shutdown waits for them) and returned, settled, for the caller to await.
   */
  emit<Event extends keyof LifecycleEvents>(event: Event, ...args: LifecycleEvents[Event]): Promise<void> | undefined {
    if (this.events.listenerCount(event) === 0) return undefined;
    let waits: Array<Promise<unknown>> | undefined;
    // rawListeners: `once` wrappers remove themselves and pass on the listener's return value.
    for (const listener of this.events.rawListeners(event) as Array<(...values: unknown[]) => unknown>) {
      try {
        const result = listener.apply(this.events, args);
        if (result instanceof Promise) (waits ??= []).push(result);
      } catch (error) {
        this.logger.error({ err: error, event }, "lifecycle listener failed");
      }
    }
    if (waits === undefined) return undefined;
    const settled = Promise.allSettled(waits).then((outcomes) => {
      for (const outcome of outcomes) if (outcome.status === "rejected") this.logger.error({ err: outcome.reason, event }, "lifecycle listener failed");
    });
    this.work.track(settled);
    return settled;
  }
}

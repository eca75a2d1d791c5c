import type { ClusterEvent } from "./types.js";
import type { Subscriber } from "./subscriber-registry.js";

export type RunOutcome = "handled" | "skipped" | "suppressed";

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs one subscriber for one event: every `before` (false skips), the handler,
 * every `after`; on a throw anywhere, every `error` until one returns true.
 *
 * It awaits only values that are promises: an async function runs synchronously
 * up to its first real await, so with synchronous middleware and handlers a
 * subscriber has finished before the bus starts the next one, which keeps
 * priority order exact for them without making slow async ones block the rest.
 */
export async function runSubscriber(subscriber: Subscriber, event: ClusterEvent): Promise<RunOutcome> {
  try {
    for (const middleware of subscriber.middleware) {
      if (middleware.before === undefined) continue;
      let proceed = middleware.before(event);
      if (isPromise(proceed)) proceed = await proceed;
      if (proceed === false) return "skipped";
    }
    let result = subscriber.handler(event);
    if (isPromise(result)) result = await result;
    for (const middleware of subscriber.middleware) {
      if (middleware.after === undefined) continue;
      const done = middleware.after(event, result);
      if (isPromise(done)) await done;
    }
    return "handled";
  } catch (error) {
    for (const middleware of subscriber.middleware) {
      if (middleware.error === undefined) continue;
      let suppress = middleware.error(event, error);
      if (isPromise(suppress)) suppress = await suppress;
      if (suppress === true) return "suppressed";
    }
    throw error;
  }
}

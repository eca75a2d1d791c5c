import { setTimeout as sleep } from "node:timers/promises";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { validatePayload } from "../protocol/payload-schema.js";
import type { ClusterEvent, ClusterHandler, ClusterPredicate } from "./types.js";

/**
 * Handler wrappers for cluster subscribers. Each takes and returns a
 * ClusterHandler, so they nest: withErrorHandler(withRetry(withValidation(...))).
 */

/**
 * Validates the payload with a Standard Schema (zod, valibot, ...) and gives the
 * handler the parsed value. An invalid payload throws `invalid_payload` with the
 * issues in `details`, which the bus logs and counts like any other throw.
 */
export function withValidation<Schema extends StandardSchemaV1>(schema: Schema, handler: ClusterHandler<StandardSchemaV1.InferOutput<Schema>>): ClusterHandler {
  return async (event) => {
    const payload = (await validatePayload(schema, event.payload)) as StandardSchemaV1.InferOutput<Schema>;
    return handler({ ...event, payload });
  };
}

/** Runs the handler only when `predicate` accepts the event; otherwise does nothing. */
export function withFilter<Payload>(predicate: (event: ClusterEvent<Payload>) => boolean | Promise<boolean>, handler: ClusterHandler<Payload>): ClusterHandler<Payload> {
  return async (event) => ((await predicate(event)) ? handler(event) : undefined);
}

export interface RetryOptions {
  /** Retries after the first attempt; the handler runs at most `retries + 1` times. */
  retries: number;
  /** Wait before the first retry, in ms. Default 100. */
  delayMs?: number;
  /** Each later wait is the previous one times this. Default 2. */
  factor?: number;
  /** Longest wait. Default 30000. */
  maxDelayMs?: number;
  /** Called before each retry with the attempt about to run (2 for the first retry). */
  onRetry?: (error: unknown, attempt: number, event: ClusterEvent) => void;
}

/**
 * Runs the handler again when it throws, waiting with exponential backoff; the
 * last error is rethrown. Waits stop early when the Switchboard closes.
 */
export function withRetry<Payload>(handler: ClusterHandler<Payload>, options: RetryOptions): ClusterHandler<Payload> {
  const { retries, delayMs = 100, factor = 2, maxDelayMs = 30_000, onRetry } = options;
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError("withRetry(): `retries` must be a non-negative integer");
  if (!(delayMs >= 0) || !(factor >= 1) || !(maxDelayMs >= 0)) throw new TypeError("withRetry(): `delayMs` and `maxDelayMs` must be >= 0 and `factor` >= 1");
  return async (event) => {
    let wait = delayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await handler(event);
      } catch (error) {
        if (attempt > retries || event.signal.aborted) throw error;
        onRetry?.(error, attempt + 1, event as ClusterEvent);
        try {
          await sleep(Math.min(wait, maxDelayMs), undefined, { signal: event.signal });
        } catch {
          throw error; // the Switchboard closed while waiting
        }
        wait *= factor;
      }
    }
  };
}

export interface RateLimitOptions {
  /** Runs allowed per window. */
  max: number;
  windowMs: number;
  /** Called for each event dropped by the limit. */
  onLimited?: (event: ClusterEvent) => void;
}

/**
 * Lets at most `max` runs through per fixed window of `windowMs` on this node;
 * events over the limit are dropped (not queued). The count is shared by every
 * event the wrapped handler sees.
 */
export function withRateLimit<Payload>(handler: ClusterHandler<Payload>, options: RateLimitOptions): ClusterHandler<Payload> {
  const { max, windowMs, onLimited } = options;
  if (!Number.isInteger(max) || max < 1) throw new TypeError("withRateLimit(): `max` must be a positive integer");
  if (!(windowMs > 0)) throw new TypeError("withRateLimit(): `windowMs` must be positive");
  let windowStart = 0;
  let count = 0;
  return (event) => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      windowStart = now;
      count = 0;
    }
    if (count >= max) {
      onLimited?.(event as ClusterEvent);
      return undefined;
    }
    count++;
    return handler(event);
  };
}

/** Catches what the handler throws and gives it to `onError`; the error counts as handled. */
export function withErrorHandler<Payload>(handler: ClusterHandler<Payload>, onError: (error: unknown, event: ClusterEvent<Payload>) => unknown): ClusterHandler<Payload> {
  return async (event) => {
    try {
      return await handler(event);
    } catch (error) {
      return onError(error, event);
    }
  };
}

/** Runs handlers one after another on the same event; a throw stops the chain. Returns the last result. */
export function composeHandlers<Payload>(handlers: readonly ClusterHandler<Payload>[]): ClusterHandler<Payload> {
  return async (event) => {
    let result: unknown;
    for (const handler of handlers) result = await handler(event);
    return result;
  };
}

/** Matches payloads that are objects whose `key` equals `value`. */
export function matchByProperty(key: string, value: unknown): ClusterPredicate {
  return (payload) => typeof payload === "object" && payload !== null && (payload as Record<string, unknown>)[key] === value;
}

/** Matches payloads that are objects with a `key` whose value passes `test`. */
export function matchByPropertyPredicate(key: string, test: (value: unknown) => boolean): ClusterPredicate {
  return (payload) => typeof payload === "object" && payload !== null && Object.hasOwn(payload, key) && test((payload as Record<string, unknown>)[key]);
}

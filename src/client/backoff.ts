export interface BackoffOptions {
  /** First retry's upper bound in ms; doubles per attempt. Default 500. */
  initialDelayMs?: number;
  /** Cap on the upper bound in ms. Default 30000. */
  maxDelayMs?: number;
  /** Attempts before giving up and closing; default Infinity. */
  maxAttempts?: number;
}

export const BACKOFF_DEFAULTS = { initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY } as const;

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base·2^attempt)].
 * Full jitter spreads a crowd of clients that lost the same node, so they do not
 * return in lockstep.
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

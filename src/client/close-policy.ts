import { CLOSE_CODES } from "../protocol/close-codes.js";

/** What to do after the connection closed with a code; the table lives in src/protocol/close-codes.ts. */
export type ReconnectAdvice = "no" | "immediately" | "backoff" | "with_fresh_token";

/**
 * Codes the table does not list (1005 no status, 1006 abnormal closure: the
 * network or the process went away) are retried with backoff.
 */
export function reconnectAdvice(code: number): ReconnectAdvice {
  const entry = (CLOSE_CODES as Record<number, { reconnect: ReconnectAdvice } | undefined>)[code];
  return entry?.reconnect ?? "backoff";
}

import { SwitchboardError, isErrorCode } from "../protocol/error-codes.js";
import type { ErrorCode } from "../protocol/error-codes.js";
import type { BackendOutcome } from "./backend-call.js";

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  422: "invalid_payload",
  429: "rate_limited",
};

/**
 * What a client is told when a backend call did not succeed: an unreachable or
 * overloaded backend is `unavailable` (retry later); a 4xx is the backend's own
 * verdict, with its `{ error: { code, message } }` when it sends a known code;
 * anything else is `internal` (the cause is logged, never sent).
 */
export function backendError(outcome: BackendOutcome, what: string): SwitchboardError {
  if (outcome.kind === "unreachable") return new SwitchboardError("unavailable", `The ${what} did not answer; retry later.`);
  if (outcome.status === 502 || outcome.status === 503 || outcome.status === 504) return new SwitchboardError("unavailable", `The ${what} is unavailable; retry later.`);
  if (outcome.status >= 400 && outcome.status < 500) {
    const error = (outcome.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    if (error !== undefined && isErrorCode(error.code) && error.code !== "internal") {
      return new SwitchboardError(error.code, typeof error.message === "string" ? error.message : `Refused by the ${what}.`, error.details);
    }
    return new SwitchboardError(STATUS_CODES[outcome.status] ?? "bad_request", `Refused by the ${what} (HTTP ${outcome.status}).`);
  }
  return new SwitchboardError("internal", "Internal error.");
}

export function isSuccess(outcome: BackendOutcome): boolean {
  return outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;
}

/** For logs: the HTTP status, or why no response came. */
export function describeOutcome(outcome: BackendOutcome): string | number {
  return outcome.kind === "unreachable" ? outcome.reason : outcome.status;
}

/** The parsed JSON body of a response (undefined when unreachable or empty). */
export function bodyOf(outcome: BackendOutcome): unknown {
  return outcome.kind === "response" ? outcome.body : undefined;
}

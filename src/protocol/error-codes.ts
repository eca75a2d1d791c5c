/**
 * The stable error codes of protocol v1. The table is the single source for the
 * docs (docs/protocol.md is tested against it) and for the HTTP status the server
 * API answers with.
 */
export const ERROR_CODES = {
  bad_request: { httpStatus: 400, meaning: "The frame or request is malformed: not JSON, not an object, a missing or mistyped field." },
  unknown_type: { httpStatus: 404, meaning: "No handler is registered for the frame's type (and action)." },
  invalid_payload: { httpStatus: 400, meaning: "The payload failed the handler's schema; `details` lists the issues." },
  unauthorized: { httpStatus: 401, meaning: "Missing, invalid or expired credentials." },
  forbidden: { httpStatus: 403, meaning: "Authenticated, but not allowed to do this (join or publish policy, middleware)." },
  not_found: { httpStatus: 404, meaning: "The room, user or connection does not exist, or the connection is not a member of the room." },
  rate_limited: { httpStatus: 429, meaning: "Too many frames, joins or requests; the frame was not processed." },
  too_large: { httpStatus: 413, meaning: "The frame or body exceeds a size limit." },
  conflict: { httpStatus: 409, meaning: "The request conflicts with the current state (e.g. a cap on rooms or connections)." },
  unavailable: { httpStatus: 503, meaning: "A dependency (broker, store, backend) is down; retry later." },
  internal: { httpStatus: 500, meaning: "An unexpected server error. Never carries a stack trace or secret; the server logs the cause." },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An error whose code and message are safe to send to a client. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "SwitchboardError";
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

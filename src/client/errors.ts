import type { ErrorCode } from "../protocol/error-codes.js";

/**
 * Codes a client call can fail with: the server's error codes (docs/protocol.md),
 * plus the SDK's own:
 * - `timeout`: no reply within the request's timeout;
 * - `disconnected`: the connection dropped while the request was in flight;
 * - `queue_full`: sent while disconnected with the send queue at its bound;
 * - `closed`: the client was closed (by `close()` or a terminal close code).
 */
export type ClientErrorCode = ErrorCode | "timeout" | "disconnected" | "queue_full" | "closed";

/** A failed request, join, publish, … : `code` says why, `details` carries the server's details. */
export class SwitchboardClientError extends Error {
  readonly code: ClientErrorCode;
  readonly details: unknown;

  constructor(code: ClientErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "SwitchboardClientError";
    this.code = code;
    this.details = details;
  }
}

import type { ErrorCode } from "../protocol/error-codes.js";

/** Why the server refused or dropped something; metrics count these by reason. */
export type RefusalReason =
  | "unauthorized"
  | "origin"
  | "ip_rate"
  | "node_cap"
  | "user_cap"
  | "room_cap"
  | "join_rate"
  | "frame_rate"
  | "slow_consumer"
  | "too_large"
  | "shutting_down";

/**
 * Instrumentation hooks (metrics, tracing). Every method is optional and called
 * synchronously, some on the hot path, so implementations must be cheap.
 */
export interface SwitchboardObserver {
  connectionOpened?(): void;
  connectionClosed?(code: number): void;
  frameReceived?(bytes: number): void;
  /** A frame written to `count` connections, `bytes` long each. */
  frameSent?(count: number, bytes: number): void;
  errorReplied?(code: ErrorCode): void;
  handlerFinished?(type: string, durationMs: number): void;
  broadcastPublished?(): void;
  /** Time from a publication's creation to its write to local sockets. */
  delivered?(latencyMs: number, recipients: number): void;
  refused?(reason: RefusalReason): void;
  /** Frames that could not be encoded or written for `count` recipients (the others were served). */
  deliveryFailed?(count: number): void;
  brokerPublished?(): void;
  brokerReceived?(): void;
  brokerFailed?(operation: string): void;
  /** A cluster subscriber threw (and no middleware suppressed it), or had too many events in flight and one was dropped. */
  clusterSubscriberFailed?(subscriber: string, reason: "threw" | "overloaded"): void;
}

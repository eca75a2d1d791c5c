/** Types every change-feed mode shares (and the metrics and health code reads). */

/** Counters for metrics; every method optional and cheap. */
export interface ChangeFeedMetrics {
  connected?(role: "leader" | "standby"): void;
  disconnected?(reason: string): void;
  notification?(channel: string): void;
  delivered?(channel: string, room: string): void;
  dropped?(channel: string, reason: "invalid_json" | "unmapped" | "publish_failed" | "fetch_failed"): void;
  /** Logical replication: bytes of WAL the slot holds (current WAL position minus its confirmed position). */
  slotLag?(slot: string, bytes: number): void;
}

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

export type FeedState = "connecting" | "leader" | "standby" | "disconnected" | "closed";

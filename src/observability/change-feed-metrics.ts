/** What a change feed reports to metrics: the integrations call it, metrics.ts beside it implements it. */

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

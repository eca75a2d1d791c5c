/** Types every change-feed mode shares (and the metrics and health code reads). */

// Declared beside the metrics that implement it, so observability/ needs nothing from integrations/.
export type { ChangeFeedMetrics } from "../observability/change-feed-metrics.js";

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

export type FeedState = "connecting" | "leader" | "standby" | "disconnected" | "closed";

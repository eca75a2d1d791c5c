/** Types every change-feed mode shares (and the metrics and health code reads). */

// Declared beside the metrics that implement it, so observability/ needs nothing from integrations/.
export type { ChangeFeedMetrics } from "../observability/change-feed-metrics.js";

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

export type FeedState = "connecting" | "leader" | "standby" | "disconnected" | "closed";

/** What a feed in `state` tells /health; the feed names what it does as leader and as standby. */
export function feedHealth(state: FeedState, lastError: string, details: { leader: string; standby: string }): HealthStatus {
  switch (state) {
    case "leader":
      return { ok: true, detail: details.leader };
    case "standby":
      return { ok: true, detail: details.standby };
    case "connecting":
      return { ok: false, detail: "connecting to PostgreSQL" };
    case "disconnected":
      return { ok: false, detail: `disconnected from PostgreSQL (${lastError}); reconnecting` };
    case "closed":
      return { ok: false, detail: "closed" };
  }
}

export { PgChangeFeed } from "./pg-change-feed.js";
export type { ChangeFeedMapping, ChangeFeedMetrics, FeedState, HealthStatus, PgChangeFeedOptions } from "./pg-change-feed.js";
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signRequest, verifyRequest } from "./request-signing.js";
export type { BackendEndpoint } from "./backend-call.js";

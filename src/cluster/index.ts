export { ClusterBus } from "./cluster-bus.js";
export { ClusterLifecycle } from "./lifecycle-channels.js";
export type { ConnectionClosedPayload, ConnectionLifecyclePayload, RoomLifecyclePayload } from "./lifecycle-channels.js";
export { composeHandlers, matchByProperty, matchByPropertyPredicate, withErrorHandler, withFilter, withRateLimit, withRetry, withValidation } from "./helpers.js";
export type { RateLimitOptions, RetryOptions } from "./helpers.js";
export type { ClusterEvent, ClusterHandler, ClusterMatcher, ClusterMiddleware, ClusterOptions, ClusterPredicate, ClusterStats, ClusterSubscription, JsonValue } from "./types.js";

export { Switchboard, createSwitchboard } from "./server/switchboard.js";
export type { CloseOptions, DisconnectRequest, LifecycleEvents } from "./server/switchboard.js";
export type { SwitchboardOptions } from "./server/options.js";
export type { HandlerContext } from "./server/context.js";
export type { Handler, Middleware, RequestHandler, Route } from "./server/router.js";
export type {
  DefaultEventMap,
  DefaultEvents,
  DefaultRequests,
  EmitArgs,
  EventData,
  EventMap,
  EventType,
  EventsOf,
  RequestData,
  RequestReply,
  RequestShape,
  RequestType,
  RequestsOf,
  ReservedEventType,
} from "./protocol/event-map.js";
export { CLIENT_BUNDLE_PATH, serveClientBundle } from "./server/client-bundle.js";
export { BroadcastOperator } from "./delivery/broadcast-operator.js";
export type { BroadcastApi, ConnectionFilter, ConnectionView, PublishOptions, PublishResult } from "./delivery/broadcast-operator.js";
export type { RoomAccessHook } from "./server/commands.js";
export type { AuthOptions } from "./auth/authenticator.js";
export type { AuthenticateHook, Identity } from "./auth/identity.js";
export type { JwtOptions } from "./auth/jwt-verifier.js";
export type { Broker, BrokerHealth, BrokerMessage, BrokerMessageHandler, BroadcastTargets } from "./broker/broker.js";
export { MemoryBroker } from "./broker/memory-broker.js";
export type { PresenceEntry, PresenceStore } from "./presence/presence-store.js";
export { MemoryPresenceStore } from "./presence/memory-presence-store.js";
export type { HistoryPage, HistoryPolicy, HistoryStore, PublishedMessage, StoredMessage, StreamPublication } from "./history/history-store.js";
export { sendAppended } from "./history/history-store.js";
export { MemoryHistoryStore } from "./history/memory-history-store.js";
export type { RoomPolicyOptions, RoomRule, RoomAccessSubject } from "./rooms/room-policy.js";
export type { JoinResult } from "./rooms/room-service.js";
export { ERROR_CODES, SwitchboardError } from "./protocol/error-codes.js";
export type { ErrorCode, ErrorBody } from "./protocol/error-codes.js";
export { CLOSE_CODES, CloseCode } from "./protocol/close-codes.js";
export type { Codec } from "./protocol/codec.js";
export { jsonCodec } from "./protocol/codec.js";
export { msgpackCodec } from "./protocol/msgpack-codec.js";
export { MAX_DATA_BYTES, MAX_DATA_DEPTH } from "./protocol/payload-limits.js";
export type {
  ClientFrame,
  ErrorFrame,
  EventFrame,
  MessageFrame,
  MessageSender,
  PongFrame,
  PresenceConnection,
  PresenceDiff,
  PresenceFrame,
  PresenceMember,
  PresencePage,
  PresenceSnapshot,
  ReplyFrame,
  RecoveryPosition,
  ServerFrame,
  StoredMessageFrame,
  VolatileMessageFrame,
  WelcomeData,
  WelcomeFrame,
} from "./protocol/frames.js";
export type { AuthReply, HistoryReply, JoinReply, LeaveReply, PresenceMembersReply, PresenceMetaReply, PresencePageReply, PublishReply } from "./protocol/replies.js";
export type { ApiStats, LatencyPercentiles, NodeStats, RoomCount, StatsSample, SwitchboardStats } from "./protocol/stats.js";
export { createRedisBackends } from "./redis/redis-backends.js";
export type { RedisBackendOptions, RedisBackends } from "./redis/redis-backends.js";
export { RedisBroker } from "./redis/redis-broker.js";
export type { RedisBrokerOptions } from "./redis/redis-broker.js";
export { RedisConnections } from "./redis/redis-connections.js";
export type { RedisConnectionOptions } from "./redis/redis-connections.js";
export { RedisHistoryStore } from "./redis/redis-history-store.js";
export { RedisPresenceStore } from "./redis/redis-presence-store.js";
export type { RedisPresenceOptions } from "./redis/redis-presence-store.js";
export type { ExpiredPresenceListener } from "./presence/presence-store.js";
export * from "./integrations/index.js";
export { PROTECTION_DEFAULTS } from "./protection/protection-options.js";
export type { ProtectionOptions, RateLimit, UserCapMode } from "./protection/protection-options.js";
export { ClusterBus, ClusterLifecycle, composeHandlers, matchByProperty, matchByPropertyPredicate, withErrorHandler, withFilter, withRateLimit, withRetry, withValidation } from "./cluster/index.js";
export type { ClusterEvent, ClusterHandler, ClusterMatcher, ClusterMiddleware, ClusterOptions, ClusterPredicate, ClusterStats, ClusterSubscription, ConnectionClosedPayload, ConnectionLifecyclePayload, JsonValue, RateLimitOptions, RetryOptions, RoomLifecyclePayload } from "./cluster/index.js";
export { createServerApi, createHttpApp } from "./http/server-api.js";
export type { HttpAppOptions, ServerApi, ServerApiOptions } from "./http/server-api.js";
export { SwitchboardMetrics } from "./observability/metrics.js";
export { HealthRegistry } from "./observability/health.js";
export type { HealthCheck, HealthCheckResult, HealthReport } from "./observability/health.js";
export type { SwitchboardObserver, RefusalReason } from "./protection/observer.js";
export { mountWebFace } from "./web-app-server/mount.js";
export type { WebFaceOptions } from "./web-app-server/mount.js";
export { ensureWebBuilt } from "./web-app-server/ensure-built.js";
export type { NativeServerFrame, RoomGuard, WireAdapter, WireConnection, WireRequest, WireSession } from "./wire/wire-adapter.js";
export { WireRefusal } from "./wire/wire-adapter.js";
export * from "./pusher/index.js";

// The public surface shared by the package entry (index.ts) and the browser bundle (browser.ts).
export { SwitchboardClient } from "./client.js";
export { Room } from "./room.js";
export type { EventFrameOf, PublishOptions, RoomEvents } from "./room.js";
export { SwitchboardClientError } from "./errors.js";
export type { ClientErrorCode } from "./errors.js";
export type { BackoffOptions } from "./backoff.js";
export type { WebSocketConstructor, WebSocketLike } from "./websocket.js";
export type {
  ClientEventData,
  ClientEventType,
  ClientEvents,
  ClientEventsOf,
  ClientOptions,
  ClientRequestsOf,
  ConnectionState,
  DefaultEventMap,
  DefaultEvents,
  DefaultRequests,
  EventFrame,
  EventListener,
  EventMap,
  EventType,
  HistoryPage,
  JoinReply,
  MessageSender,
  PresenceConnection,
  PresenceDiff,
  PresenceEvent,
  PresenceMember,
  PresencePage,
  PresenceSnapshot,
  RequestData,
  RequestOptions,
  RequestReply,
  RequestType,
  RequestShape,
  RoomMessage,
  StateInfo,
  StoredMessageFrame,
  TokenProvider,
  VolatileMessageFrame,
  WelcomeData,
} from "./types.js";

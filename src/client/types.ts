// The wire shapes come from src/protocol/ (type-only imports: nothing of the server is bundled).
import type { EventFrame, MessageFrame, MessageSender, PresenceConnection, PresenceDiff, PresenceMember, PresencePage, PresenceSnapshot, StoredMessageFrame, VolatileMessageFrame, WelcomeData } from "../protocol/frames.js";
import type { HistoryReply, JoinReply } from "../protocol/replies.js";
import type { DefaultEventMap, DefaultEvents, DefaultRequests, EventMap, EventType, EventsOf, RequestData, RequestReply, RequestShape, RequestType } from "../protocol/event-map.js";
import type { BackoffOptions } from "./backoff.js";
import type { SwitchboardClientError } from "./errors.js";
import type { WebSocketConstructor } from "./websocket.js";

export type { DefaultEventMap, DefaultEvents, DefaultRequests, EventMap, EventType, RequestData, RequestReply, RequestShape, RequestType };
export type { EventFrame, JoinReply, MessageSender, PresenceConnection, PresenceDiff, PresenceMember, PresencePage, PresenceSnapshot, StoredMessageFrame, VolatileMessageFrame, WelcomeData };

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "closed";

/** Details of a state change: why the last connection closed and, while reconnecting, when the next attempt runs. */
export interface StateInfo {
  code?: number;
  reason?: string;
  /** Reconnect attempt number (1 for the first retry). */
  attempt?: number;
  /** Delay before that attempt. */
  delayMs?: number;
}

/** A token string, or a function returning one (called before connecting and before the token expires). */
export type TokenProvider = () => string | Promise<string>;

export interface ClientOptions {
  /** JWT sent as `?token=`. A provider lets the client refresh it (see docs/client.md). */
  token?: string | TokenProvider;
  /** A WebSocket implementation; default the global one, in Node 20 the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff (full jitter), or false to never reconnect. */
  reconnect?: BackoffOptions | false;
  /** Default timeout of request(), join(), publish() … in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Requests made while disconnected wait in a queue of at most this many; more are rejected with `queue_full`. Default 100. */
  maxQueued?: number;
  /** Application-level ping interval in ms; default the server's heartbeatMs from `welcome`; false disables. */
  pingIntervalMs?: number | false;
  /** No pong within this many ms means the connection is dead. Default min(pingInterval, 10000). */
  pongTimeoutMs?: number;
  /** Refresh a provider's token this long before its `exp` (at most half its remaining life). Default 30000; false waits for 4001. */
  refreshBeforeExpiryMs?: number | false;
  /** Give up on an attempt that has not received `welcome` after this long. Default 10000. */
  connectTimeoutMs?: number;
}

/** Per-call options of request(). */
export interface RequestOptions {
  /** Routes to a `type` + `action` handler. */
  action?: string;
  timeout?: number;
}

/** A room message frame (the protocol's `MessageFrame`). `offset` and `epoch` are absent for volatile publications. */
export type RoomMessage<Data = unknown> = MessageFrame<Data>;

export interface PresenceEvent {
  event: "join" | "leave" | "update";
  userId: string | null;
  connectionId: string;
  meta?: Record<string, unknown>;
}

/** The SDK's own client events; custom event types cannot use these names. */
export interface ClientEvents {
  state: (state: ConnectionState, info: StateInfo) => void;
  welcome: (welcome: WelcomeData) => void;
  /** `error` frames from the server, token provider failures, failed rejoins. */
  error: (error: SwitchboardClientError | Error) => void;
}

export type EventListener<Data, Type extends string = string> = (data: Data, frame: EventFrame<Data, Type>) => void;

/** The custom event types a client can listen to: the map's, less the SDK's own events. */
export type ClientEventType<EventsOrMap> = Exclude<EventType<ClientEventsOf<EventsOrMap>>, keyof ClientEvents>;
/** The data of one of those events. */
export type ClientEventData<EventsOrMap, Type extends ClientEventType<EventsOrMap>> = ClientEventsOf<EventsOrMap>[Type];

/**
 * Whether a client's first type argument is a whole EventMap (`{ requests?, events? }`, shared
 * with the server) rather than the older events-only map (`connect<Events, Requests>`): its
 * only keys are `requests` and `events`.
 */
type IsEventMap<Map> = [keyof Map] extends [never] ? false : [Exclude<keyof Map, keyof EventMap>] extends [never] ? true : false;

/** The server-pushed events of `connect<Map>` or `connect<Events, Requests>`. */
export type ClientEventsOf<EventsOrMap> = IsEventMap<EventsOrMap> extends true ? EventsOf<EventsOrMap> : EventsOrMap;

/** The requests of `connect<Map>` (the map's, else `Requests`) or `connect<Events, Requests>`. */
export type ClientRequestsOf<EventsOrMap, Requests> = IsEventMap<EventsOrMap> extends true ? (EventsOrMap extends { requests: infer Declared extends object } ? Declared : Requests) : Requests;

/** A `history` reply: stored messages (each with its offset and epoch) and the room's position. */
export type HistoryPage<Data = unknown> = HistoryReply<Data>;

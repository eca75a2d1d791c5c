// The wire shapes come from src/protocol/ (type-only imports: nothing of the server is bundled).
import type { EventFrame, MessageFrame, MessageSender, PresenceConnection, PresenceDiff, PresenceMember, PresencePage, PresenceSnapshot, StoredMessageFrame, VolatileMessageFrame, WelcomeData } from "../protocol/frames.js";
import type { HistoryReply, JoinReply } from "../protocol/replies.js";
import type { BackoffOptions } from "./backoff.js";
import type { SwitchboardClientError } from "./errors.js";
import type { WebSocketConstructor } from "./websocket.js";

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

export type EventListener<Data> = (data: Data, frame: EventFrame<Data>) => void;

/** Default event map: any type, data unknown. Declare your own: `interface Events { match_found: { matchId: string } }`. */
export type DefaultEvents = Record<string, unknown>;

/** A request's payload and reply: `interface Requests { "lobby:create": { data: { name: string }; reply: { room: string } } }`. */
export interface RequestShape {
  data?: unknown;
  reply?: unknown;
}

export type DefaultRequests = Record<string, { data: unknown; reply: unknown }>;

export type RequestData<Requests, Type extends keyof Requests> = Requests[Type] extends { data: infer Data } ? Data : unknown;
export type RequestReply<Requests, Type extends keyof Requests> = Requests[Type] extends { reply: infer Reply } ? Reply : unknown;

/** A `history` reply: stored messages (each with its offset and epoch) and the room's position. */
export type HistoryPage<Data = unknown> = HistoryReply<Data>;

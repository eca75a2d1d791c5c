import { BACKOFF_DEFAULTS, backoffDelay } from "./backoff.js";
import type { BackoffOptions } from "./backoff.js";
import { reconnectAdvice } from "./close-policy.js";
import { Emitter } from "./emitter.js";
import { SwitchboardClientError } from "./errors.js";
import { Heartbeat } from "./heartbeat.js";
import { tokenExpiry } from "./jwt.js";
import { RequestTracker } from "./requests.js";
import type { TrackedRequest } from "./requests.js";
import { Room } from "./room.js";
import { TokenSource } from "./token-source.js";
import { resolveServerUrl, withToken } from "./url.js";
import type {
  ClientEventData,
  ClientEventType,
  ClientEvents,
  ClientEventsOf,
  ClientOptions,
  ClientRequestsOf,
  ConnectionState,
  DefaultEvents,
  DefaultRequests,
  EventFrame,
  EventListener,
  JoinReply,
  PresenceDiff,
  PresenceEvent,
  RequestData,
  RequestOptions,
  RequestReply,
  RequestType,
  RoomMessage,
  StateInfo,
  WelcomeData,
} from "./types.js";
import { SOCKET_CONNECTING, SOCKET_OPEN } from "./websocket.js";
import type { WebSocketConstructor, WebSocketLike } from "./websocket.js";

const CLIENT_EVENTS = new Set<string>(["state", "welcome", "error"]);
const DEFAULT_HEARTBEAT_MS = 25_000;
/** Close code the client uses when it gives up on a connection itself (ping or connect timeout). */
const CLIENT_ABANDON_CODE = 4000;
const ABNORMAL_CLOSURE = 1006;

type AnyListener = (...args: never[]) => void;
type Frame = Record<string, unknown> & { type: string };

/**
 * A Switchboard connection that stays connected: it reconnects with backoff,
 * rejoins its rooms with recovery, refreshes its token, queues requests while
 * away (bounded) and detects dead connections with an application-level ping.
 *
 * `Events` is the application's EventMap shared with the server (`connect<AppEvents>(url)`),
 * or, as before, a map of server-pushed events alone with `Requests` beside it.
 */
export class SwitchboardClient<Events extends object = DefaultEvents, Requests extends object = DefaultRequests> {
  readonly url: string;
  private readonly options: ClientOptions;
  private readonly backoff: Required<BackoffOptions> | false;
  private readonly lifecycle = new Emitter<ClientEvents>();
  private readonly events = new Emitter<Record<string, EventListener<unknown>>>();
  private readonly rooms = new Map<string, Room<unknown>>();
  private readonly joining = new Map<string, Promise<Room<unknown>>>();
  private readonly tracker: RequestTracker;
  private readonly tokens: TokenSource;
  private readonly heartbeat: Heartbeat;
  private readonly resolveWebSocket: () => Promise<WebSocketConstructor>;
  private socket: WebSocketLike | undefined;
  private ready = false;
  private currentState: ConnectionState = "connecting";
  private info: StateInfo = {};
  private welcomeData: WelcomeData | undefined;
  private attempt = 0;
  /** Bumped for every connection attempt, so late async steps of an old attempt do nothing. */
  private generation = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, options: ClientOptions, resolveWebSocket: () => Promise<WebSocketConstructor>) {
    this.url = resolveServerUrl(url);
    this.options = options;
    this.backoff = options.reconnect === false ? false : { ...BACKOFF_DEFAULTS, ...options.reconnect };
    this.resolveWebSocket = resolveWebSocket;
    this.tokens = new TokenSource(options.token);
    this.tracker = new RequestTracker({ ready: () => this.ready, send: (text) => this.socket?.send(text) }, options.maxQueued ?? 100);
    this.heartbeat = new Heartbeat(
      (timeoutMs) => this.tracker.request({ type: "ping" }, { timeoutMs, queue: false }),
      () => this.abandon("no pong"),
    );
    void this.open();
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Why the last connection closed (in `reconnecting` and `closed`). */
  get stateInfo(): StateInfo {
    return this.info;
  }

  /** The current connection's `welcome` data (connectionId, userId, node, heartbeatMs). */
  get welcome(): WelcomeData | undefined {
    return this.welcomeData;
  }

  /** Requests waiting for a connection. */
  get queued(): number {
    return this.tracker.queued;
  }

  /** Subscribes to `state`, `welcome`, `error`, or a custom event type; returns an unsubscribe function. */
  on<Event extends keyof ClientEvents>(event: Event, listener: ClientEvents[Event]): () => void;
  on<Type extends ClientEventType<Events>>(event: Type, listener: EventListener<ClientEventData<Events, Type>, Type>): () => void;
  on(event: string, listener: AnyListener): () => void {
    if (CLIENT_EVENTS.has(event)) return this.lifecycle.on(event as keyof ClientEvents, listener as ClientEvents[keyof ClientEvents]);
    return this.events.on(event, listener as EventListener<unknown>);
  }

  off<Event extends keyof ClientEvents>(event: Event, listener: ClientEvents[Event]): void;
  off<Type extends ClientEventType<Events>>(event: Type, listener: EventListener<ClientEventData<Events, Type>, Type>): void;
  off(event: string, listener: AnyListener): void {
    if (CLIENT_EVENTS.has(event)) this.lifecycle.off(event as keyof ClientEvents, listener as ClientEvents[keyof ClientEvents]);
    else this.events.off(event, listener as EventListener<unknown>);
  }

  /** Sends a frame to a handler and resolves with its reply data; rejects with a SwitchboardClientError. */
  request<Type extends RequestType<ClientRequestsOf<Events, Requests>>>(
    type: Type,
    data?: RequestData<ClientRequestsOf<Events, Requests>, Type>,
    options: RequestOptions = {},
  ): Promise<RequestReply<ClientRequestsOf<Events, Requests>, Type>> {
    const frame: Frame = { type, data };
    if (options.action !== undefined) frame.action = options.action;
    return this.send(frame, options.timeout === undefined ? {} : { timeoutMs: options.timeout }) as Promise<RequestReply<ClientRequestsOf<Events, Requests>, Type>>;
  }

  /** Joins a room (or returns it if already joined); it is rejoined with recovery after every reconnect. */
  join<Message = unknown>(name: string, options: { timeout?: number } = {}): Promise<Room<Message, ClientEventsOf<Events>>> {
    const existing = this.rooms.get(name);
    if (existing !== undefined) return Promise.resolve(existing as unknown as Room<Message, ClientEventsOf<Events>>);
    const pending = this.joining.get(name);
    if (pending !== undefined) return pending as unknown as Promise<Room<Message, ClientEventsOf<Events>>>;
    const room = new Room<unknown>(name, { request: (frame, requestOptions) => this.send(frame, requestOptions), forget: (left) => this.forget(left) });
    const joined = this.send(
      { type: "join", room: name },
      { ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }), onReply: (data) => this.onJoined(room, data as JoinReply, undefined) },
    ).then(
      () => {
        this.joining.delete(name);
        return room;
      },
      (error: unknown) => {
        this.joining.delete(name);
        if (this.rooms.get(name) === room) this.rooms.delete(name);
        throw error;
      },
    );
    this.joining.set(name, joined);
    return joined as unknown as Promise<Room<Message, ClientEventsOf<Events>>>;
  }

  /** A joined room by name. */
  room<Message = unknown>(name: string): Room<Message, ClientEventsOf<Events>> | undefined {
    return this.rooms.get(name) as unknown as Room<Message, ClientEventsOf<Events>> | undefined;
  }

  /** Closes for good: no reconnect; queued and pending requests fail with `closed`. */
  close(code = 1000, reason = "client closed"): Promise<void> {
    const socket = this.socket;
    this.detach();
    this.finish(code, reason);
    if (socket === undefined || (socket.readyState !== SOCKET_OPEN && socket.readyState !== SOCKET_CONNECTING)) return Promise.resolve();
    return new Promise((resolve) => {
      // Bounded: a dead connection never completes the closing handshake.
      const timer = setTimeout(resolve, 1_000);
      socket.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        socket.close(code, reason);
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  // ---- Connection ---------------------------------------------------------------------

  private async open(): Promise<void> {
    const generation = ++this.generation;
    let url: string;
    let WebSocketImpl: WebSocketConstructor;
    try {
      const token = await this.tokens.forConnection();
      WebSocketImpl = await this.resolveWebSocket();
      url = withToken(this.url, token);
    } catch (error) {
      if (generation !== this.generation || this.currentState === "closed") return;
      this.lifecycle.emit("error", error instanceof Error ? error : new Error(String(error)));
      return this.reconnect(ABNORMAL_CLOSURE, "could not prepare the connection", false);
    }
    if (generation !== this.generation || this.currentState === "closed") return;
    let socket: WebSocketLike;
    try {
      socket = new WebSocketImpl(url, "switchboard.v1.json");
    } catch (error) {
      // E.g. a page's security policy refusing the URL: reported, then retried like any failed attempt.
      this.lifecycle.emit("error", error instanceof Error ? error : new Error(String(error)));
      return this.reconnect(ABNORMAL_CLOSURE, "could not open the WebSocket", false);
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket === socket) this.onText(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.detach();
      this.onClosed(event.code, event.reason);
    };
    // A close event always follows an error; that is where the decision is made.
    socket.onerror = () => {};
    this.connectTimer = setTimeout(() => this.abandon("no welcome"), this.options.connectTimeoutMs ?? 10_000);
  }

  private onText(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") return;
    switch (frame.type) {
      case "welcome":
        return this.onWelcome(frame.data as WelcomeData);
      case "reply":
      case "pong":
        this.tracker.settle(frame);
        return;
      case "message":
        this.rooms.get(frame.room as string)?.receiveMessage(frame as unknown as RoomMessage);
        return;
      case "presence":
        this.rooms.get(frame.room as string)?.receivePresence(frame.data as PresenceDiff | PresenceEvent);
        return;
      case "error": {
        const error = (frame.error ?? {}) as { code?: "bad_request"; message?: string };
        this.lifecycle.emit("error", new SwitchboardClientError(error.code ?? "bad_request", error.message ?? "The server reported an error."));
        return;
      }
      default: {
        const event = frame as unknown as EventFrame;
        if (typeof event.room === "string") this.rooms.get(event.room)?.receiveEvent(event);
        this.events.emit(frame.type, event.data, event);
      }
    }
  }

  private onWelcome(welcome: WelcomeData): void {
    clearTimeout(this.connectTimer);
    this.welcomeData = welcome;
    this.attempt = 0;
    this.ready = true;
    const interval = this.options.pingIntervalMs ?? welcome.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (interval !== false && interval > 0) this.heartbeat.start(interval, this.options.pongTimeoutMs ?? Math.min(interval, 10_000));
    this.scheduleRefresh();
    // Rejoins go out before anything queued, so queued publishes find their rooms joined.
    this.rejoinRooms();
    this.tracker.flush();
    this.lifecycle.emit("welcome", welcome);
    this.setState("connected", {});
  }

  private onClosed(code: number, reason: string): void {
    if (this.currentState === "closed") return;
    const advice = reconnectAdvice(code);
    if (advice === "no") return this.finish(code, reason);
    if (advice === "with_fresh_token") {
      if (!this.tokens.refreshable) return this.finish(code, reason);
      this.tokens.invalidate();
    }
    this.reconnect(code, reason, advice === "immediately" || advice === "with_fresh_token");
  }

  private reconnect(code: number, reason: string, immediately: boolean): void {
    if (this.backoff === false || this.attempt >= this.backoff.maxAttempts) return this.finish(code, reason);
    // "Immediately" holds for the first try only; a node that keeps refusing gets backoff.
    const delayMs = immediately && this.attempt === 0 ? 0 : backoffDelay(this.attempt, this.backoff);
    this.attempt++;
    this.setState("reconnecting", { code, reason, attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => void this.open(), delayMs);
  }

  /** Gives up on the current socket without waiting for its close handshake (it may be dead). */
  private abandon(reason: string): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.detach();
    try {
      socket.close(CLIENT_ABANDON_CODE, reason);
    } catch {
      // Already closing; nothing to do.
    }
    this.onClosed(ABNORMAL_CLOSURE, reason);
  }

  /** Drops the current socket: stops its timers, fails what is in flight on it. */
  private detach(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = false;
    this.generation++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.refreshTimer);
    clearTimeout(this.reconnectTimer);
    this.heartbeat.stop();
    if (socket !== undefined) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onopen = null;
      // Keep an error listener: some implementations throw on an unhandled error.
      socket.onerror = () => {};
    }
    this.tracker.failInFlight();
  }

  private finish(code: number, reason: string): void {
    if (this.currentState === "closed") return;
    clearTimeout(this.reconnectTimer);
    this.tracker.failAll("closed", `The client is closed (${code}${reason ? `: ${reason}` : ""}).`);
    this.setState("closed", { code, reason });
  }

  private setState(state: ConnectionState, info: StateInfo): void {
    this.currentState = state;
    this.info = info;
    this.lifecycle.emit("state", state, info);
  }

  // ---- Requests, rooms, token ---------------------------------------------------------

  private send(frame: Frame, options: Partial<TrackedRequest> = {}): Promise<unknown> {
    if (this.currentState === "closed") return Promise.reject(new SwitchboardClientError("closed", `The client is closed; "${frame.type}" was not sent.`));
    return this.tracker.request(frame, { timeoutMs: this.options.requestTimeoutMs ?? 10_000, queue: true, ...options });
  }

  private onJoined(room: Room<unknown>, reply: JoinReply, since: { offset: number; epoch: string } | undefined): void {
    this.rooms.set(room.name, room);
    room.joined(reply, since);
  }

  private forget(room: Room<unknown>): void {
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
  }

  private rejoinRooms(): void {
    for (const room of this.rooms.values()) {
      const since = room.position();
      const frame: Frame = since === undefined ? { type: "join", room: room.name } : { type: "join", room: room.name, since };
      this.send(frame, { queue: false, onReply: (data) => room.joined(data as JoinReply, since) }).catch((error: unknown) => {
        // A lost connection retries on the next one; any other answer is final.
        if (error instanceof SwitchboardClientError && (error.code === "disconnected" || error.code === "closed" || error.code === "timeout")) return;
        this.forget(room);
        room.fail(error instanceof Error ? error : new Error(String(error)));
      });
    }
  }

  /** Sends a fresh token (`auth` frame) shortly before the current one expires. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const before = this.options.refreshBeforeExpiryMs ?? 30_000;
    const token = this.tokens.token;
    if (before === false || !this.tokens.refreshable || token === undefined) return;
    const expiry = tokenExpiry(token);
    if (expiry === undefined) return;
    const remaining = expiry * 1000 - Date.now();
    if (remaining <= 0) return;
    const delay = remaining - Math.min(before, remaining / 2);
    this.refreshTimer = setTimeout(() => void this.refresh(token), delay);
  }

  private async refresh(previous: string): Promise<void> {
    const generation = this.generation;
    let token: string | undefined;
    try {
      token = await this.tokens.fresh();
    } catch (error) {
      this.lifecycle.emit("error", error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // Reconnected meanwhile (the new connection used the new token), or the provider had nothing newer.
    if (generation !== this.generation || !this.ready || token === undefined) return;
    if (tokenExpiry(token) === tokenExpiry(previous)) return;
    try {
      await this.send({ type: "auth", token }, { queue: false });
      if (generation === this.generation) this.scheduleRefresh();
    } catch (error) {
      if (error instanceof SwitchboardClientError && (error.code === "disconnected" || error.code === "closed")) return;
      this.lifecycle.emit("error", error instanceof Error ? error : new Error(String(error)));
    }
  }
}

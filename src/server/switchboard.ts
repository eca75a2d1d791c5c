import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Authenticator } from "../auth/authenticator.js";
import type { BroadcastTargets, Broker } from "../broker/broker.js";
import type { ClusterBus } from "../cluster/cluster-bus.js";
import type { LifecycleEvents } from "../cluster/lifecycle-publisher.js";
import type { BroadcastApi, BroadcastOperator, ConnectionFilter, ConnectionView, EmitSink, PublishOptions, PublishResult } from "../delivery/broadcast-operator.js";
import type { Connection } from "../delivery/connection.js";
import type { FanOut } from "../delivery/fan-out.js";
import type { Hub } from "../delivery/hub.js";
import type { HistoryPage, HistoryStore } from "../history/history-store.js";
import type { Logger } from "../log/logger.js";
import type { PresenceStore } from "../presence/presence-store.js";
import type { SwitchboardObserver } from "../protection/observer.js";
import type { RateLimit } from "../protection/protection-options.js";
import type { Protection } from "../protection/protection.js";
import { CloseCode } from "../protocol/close-codes.js";
import type { Codec } from "../protocol/codec.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { AcceptsData, DefaultEventMap, EventMap, EventsOf, RequestData, RequestReply, RequestType, RequestsOf } from "../protocol/event-map.js";
import type { PresenceMember, PresencePage, RecoveryPosition } from "../protocol/frames.js";
import { assertRoomName } from "../protocol/room-name.js";
import type { SwitchboardStats } from "../protocol/stats.js";
import type { Admission } from "../rooms/admission.js";
import type { JoinRequest } from "../rooms/admission.js";
import type { RoomService } from "../rooms/room-service.js";
import type { JoinResult } from "../rooms/room-service.js";
import type { WireAdapter } from "../wire/wire-adapter.js";
import { joinFromServer } from "./commands.js";
import type { RoomAccessHook } from "./commands.js";
import type { ObserverList } from "./observer-list.js";
import type { ResolvedOptions, SwitchboardOptions } from "./options.js";
import type { Handler, Middleware, RequestHandler, Route } from "./router.js";
import { createStandaloneServer, listenOn } from "./standalone-server.js";
import { wireSwitchboard } from "./wiring.js";
import type { SwitchboardParts } from "./wiring.js";

export interface DisconnectRequest {
  userId?: string;
  connectionId?: string;
  code?: number;
  reason?: string;
}

export interface CloseOptions {
  /** 1001 (going away, the default) or 1012 (restart). */
  code?: number;
  reason?: string;
}

type InferOutput<Schema extends StandardSchemaV1> = StandardSchemaV1.InferOutput<Schema>;
/** A handler typed by some EventMap, as the overloads of `handle` accept it. */
type TypedHandler = (ctx: never, data: never) => unknown;

/**
 * A Switchboard node. The facade: its public API delegates to collaborators that do
 * the work, built by wiring.ts and each handed what it needs (none gets the Switchboard
 * itself): the upgrade (upgrade.ts), the frame pipeline (dispatch.ts, replier.ts,
 * commands.ts), connection timers (heartbeat.ts), lifecycle listeners (lifecycle-events.ts),
 * the end of connections (connection-lifecycle.ts), delivery (src/delivery/) and shutdown.
 */
export class Switchboard<Map extends EventMap = DefaultEventMap> implements BroadcastApi<EventsOf<Map>>, EmitSink {
  readonly node: string;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly broker: Broker;
  readonly presenceStore: PresenceStore;
  readonly historyStore: HistoryStore;
  readonly options: ResolvedOptions;
  /** Instrumentation: the observer from the options plus any added with `observe()`. */
  readonly observer: ObserverList;
  /** Rate limits, caps, origin checks and the slow-consumer policy (src/protection). */
  readonly protection: Protection;
  /** Resolves once the broker is started; upgrades wait for it. */
  readonly ready: Promise<void>;
  /** Server-side events across nodes: `cluster.emit(channel, payload)`, `cluster.on({ channel }, handler)`. */
  readonly cluster: ClusterBus;

  protected readonly hub: Hub;
  /** Every broker publish and receipt, and the delivery of frames to the hub (src/delivery/fan-out.ts). */
  protected readonly fanOut: FanOut;
  protected readonly roomService: RoomService;
  /** The one gate of every join and publication (src/rooms/admission.ts). */
  protected readonly admission: Admission;
  /** The collaborators the public API delegates to (built in wiring.ts). */
  private readonly parts: SwitchboardParts<Map>;
  private readonly startedAt = Date.now();

  constructor(options: SwitchboardOptions = {}) {
    const parts = (this.parts = wireSwitchboard<Map>(options));
    this.options = parts.options;
    this.node = parts.node;
    this.logger = parts.logger;
    this.authenticator = parts.authenticator;
    this.broker = parts.broker;
    this.presenceStore = parts.presenceStore;
    this.historyStore = parts.historyStore;
    this.observer = parts.observer;
    this.protection = parts.protection;
    this.ready = parts.ready;
    this.cluster = parts.cluster;
    this.hub = parts.hub;
    this.fanOut = parts.fanOut;
    this.roomService = parts.roomService;
    this.admission = parts.admission;
  }

  // ---- Handlers, middleware, lifecycle -------------------------------------------------

  /** Adds instrumentation hooks (metrics, tracing); returns a function that removes them. */
  observe(observer: SwitchboardObserver): () => void {
    return this.observer.add(observer);
  }

  /**
   * Registers a handler for a frame type (and optional action), with a Standard Schema for its
   * payload. With an EventMap the type must be one of its `requests`, the schema must accept its
   * `data` (the handler gets the schema's output) and the reply must be its `reply`.
   */
  handle<Type extends RequestType<RequestsOf<Map>>, Schema extends StandardSchemaV1>(
    route: Route<Type>,
    schema: Schema & AcceptsData<StandardSchemaV1.InferInput<Schema>, RequestData<RequestsOf<Map>, Type>>,
    handler: Handler<InferOutput<Schema>, RequestReply<RequestsOf<Map>, Type>, Map>,
  ): this;
  handle<Type extends RequestType<RequestsOf<Map>>>(route: Route<Type>, handler: RequestHandler<Map, Type>): this;
  handle(route: Route, schemaOrHandler: StandardSchemaV1 | TypedHandler, maybeHandler?: TypedHandler): this {
    // The map's types hold at compile time only; the router keeps handlers untyped.
    if (typeof schemaOrHandler === "function") this.parts.router.add(route, undefined, schemaOrHandler as Handler);
    else if (typeof maybeHandler === "function") this.parts.router.add(route, schemaOrHandler, maybeHandler as Handler);
    else throw new TypeError("handle(): a handler function is required");
    return this;
  }

  use(middleware: Middleware<Map>): this {
    if (typeof middleware !== "function") throw new TypeError("use(): middleware must be a function");
    this.parts.middleware.push(middleware as Middleware);
    return this;
  }

  /**
   * Adds a lifecycle listener. A listener that returns a promise is waited for: shutdown
   * closes the broker and stores only once every `leave`/`disconnect` listener settled.
   */
  on<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): this {
    this.parts.events.on(event, listener);
    return this;
  }

  off<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): this {
    this.parts.events.off(event, listener);
    return this;
  }

  /** Gives a handler (type, or type + action) its own per-connection rate, stricter than the frame rate. */
  limit(route: Route, rate: RateLimit): this {
    const { type, action } = typeof route === "string" ? { type: route, action: undefined } : route;
    this.protection.limitRoute(type, action, rate);
    return this;
  }

  /** Adds an encoding selectable by subprotocol (e.g. MessagePack). */
  addCodec(codec: Codec): this {
    this.parts.codecs.set(codec.subprotocol, codec);
    return this;
  }

  /**
   * Serves another wire protocol on `path` and the paths below it, on every server
   * this node is attached to (see docs/server.md, "Wire adapters").
   */
  mount(path: string, adapter: WireAdapter): this {
    this.parts.wires.add(path, adapter);
    for (const guard of adapter.roomGuards ?? []) this.parts.policies.guard(guard.match, guard.join);
    return this;
  }

  // ---- Upgrades -------------------------------------------------------------------------

  /** Serves WebSocket upgrades on `path` of an existing HTTP(S) server. */
  attach(server: HttpServer | HttpsServer, options: { path?: string } = {}): this {
    this.parts.upgrades.attach(server, options.path ?? this.options.path);
    return this;
  }

  /** Takes over one upgrade request (for servers that route upgrades themselves). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.parts.upgrades.handleUpgrade(request, socket, head);
  }

  /** Starts a standalone HTTP server serving the WebSocket endpoint and the browser client (/switchboard.js). */
  async listen(port: number, host = "0.0.0.0"): Promise<AddressInfo> {
    const server = createStandaloneServer(this.protection, this.options.path);
    this.parts.shutdown.ownServer = server;
    this.attach(server);
    await listenOn(server, port, host);
    await this.ready;
    return server.address() as AddressInfo;
  }

  // ---- Broadcast API --------------------------------------------------------------------

  to(rooms: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.parts.baseOperator.to(rooms);
  }

  toUser(userIds: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.parts.baseOperator.toUser(userIds);
  }

  toConnection(connectionIds: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.parts.baseOperator.toConnection(connectionIds);
  }

  toAll(): BroadcastOperator<EventsOf<Map>> {
    return this.parts.baseOperator.toAll();
  }

  publish(room: string, data: unknown, options?: PublishOptions): Promise<PublishResult> {
    return this.admission.publish(room, data, options);
  }

  /** Sends `{type, room?, data, ts}` to the union of targets, each connection once (what `to(...).emit()` does). */
  emitToTargets(targets: BroadcastTargets, type: string, data: unknown, filter: ConnectionFilter | undefined): Promise<void> {
    return this.fanOut.emitToTargets(targets, type, data, filter);
  }

  /** Closes a user's or a connection's sockets on whichever node holds them. */
  async disconnect(request: DisconnectRequest): Promise<void> {
    if (request.userId === undefined && request.connectionId === undefined) throw new SwitchboardError("bad_request", "disconnect needs a userId or a connectionId.");
    await this.fanOut.disconnect({ userId: request.userId, connectionId: request.connectionId, code: request.code ?? CloseCode.disconnected, reason: request.reason ?? "disconnected by the server" });
  }

  /**
   * Joins a local connection to a room from server code, through the same admission as
   * a client's `join`: room policy, `multipleRooms`, the rooms cap and the join rate.
   * `{ authorized: true }` says server code decided access itself (skips the policy's
   * `join` rule and `canJoin`, never the caps).
   */
  async joinConnection(connection: Connection | string, room: string, request: Pick<JoinRequest, "authorized"> = {}): Promise<JoinResult> {
    const target = typeof connection === "string" ? this.hub.connections.get(connection) : connection;
    if (target === undefined) throw new SwitchboardError("not_found", "No such connection on this node.");
    return joinFromServer(this.admission, target, room, request);
  }

  presence(room: string): Promise<PresenceMember[]> {
    assertRoomName(room, this.options.maxRoomNameLength);
    return this.roomService.members(room);
  }

  /** One page of a room's presence across nodes: `{count, entries, cursor}`; pass the cursor back for the next. */
  presencePage(room: string, options: { cursor?: string; limit?: number } = {}): Promise<PresencePage> {
    assertRoomName(room, this.options.maxRoomNameLength);
    return this.roomService.presencePage(room, options.cursor, options.limit ?? 100);
  }

  stats(): SwitchboardStats {
    return { node: this.node, connections: this.hub.connections.size, users: this.hub.userCount, rooms: this.hub.roomCount, ...this.parts.counters, startedAt: this.startedAt };
  }

  /** This node's rooms with their local member counts. */
  localRooms(): Array<{ room: string; connections: number }> {
    const rooms: Array<{ room: string; connections: number }> = [];
    for (const [room, members] of this.hub.localRooms()) rooms.push({ room, connections: members.size });
    return rooms;
  }

  /** A room's recent messages, as the `history` command returns them. */
  history(room: string, limit = 50, since?: RecoveryPosition): Promise<HistoryPage> {
    assertRoomName(room, this.options.maxRoomNameLength);
    return this.roomService.readHistory(room, since, limit);
  }

  /** This node's connections, for server code that needs to inspect them. */
  connections(): IterableIterator<ConnectionView> {
    return this.hub.connections.values();
  }

  // ---- Shutdown -------------------------------------------------------------------------

  /** Stops accepting, closes every connection with 1001 (or the given code), then closes the broker and stores. */
  close(options: CloseOptions = {}): Promise<void> {
    return this.parts.shutdown.run(options.code ?? CloseCode.goingAway, options.reason ?? "server shutting down");
  }
}

/** `createSwitchboard<AppEvents>(options)` types handlers and emits with the app's EventMap. */
export function createSwitchboard<Map extends EventMap = DefaultEventMap>(options?: SwitchboardOptions): Switchboard<Map> {
  return new Switchboard<Map>(options);
}

export type { RoomAccessHook };
export type { LifecycleEvents };

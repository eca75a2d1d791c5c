import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { Authenticator } from "../auth/authenticator.js";
import { ClusterBus } from "../cluster/cluster-bus.js";
import type { BroadcastTargets, Broker } from "../broker/broker.js";
import { MemoryBroker } from "../broker/memory-broker.js";
import type { HistoryPage, HistoryStore } from "../history/history-store.js";
import { MemoryHistoryStore } from "../history/memory-history-store.js";
import { createLogger } from "../log/logger.js";
import type { Logger } from "../log/logger.js";
import { MemoryPresenceStore } from "../presence/memory-presence-store.js";
import type { PresenceStore } from "../presence/presence-store.js";
import { jsonCodec } from "../protocol/codec.js";
import type { Codec } from "../protocol/codec.js";
import { msgpackCodec } from "../protocol/msgpack-codec.js";
import { CloseCode } from "../protocol/close-codes.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { SwitchboardStats } from "../protocol/stats.js";
import { Protection } from "../protection/protection.js";
import type { RateLimit } from "../protection/protection-options.js";
import type { PresenceMember, PresencePage, RecoveryPosition } from "../protocol/frames.js";
import { assertRoomName } from "../protocol/room-name.js";
import { RoomPolicies } from "../rooms/room-policy.js";
import { RoomService } from "../rooms/room-service.js";
import { Admission } from "../rooms/admission.js";
import type { JoinRequest } from "../rooms/admission.js";
import type { JoinResult } from "../rooms/room-service.js";
import { BroadcastOperator } from "../delivery/broadcast-operator.js";
import { serveClientBundle } from "./client-bundle.js";
import type { BroadcastApi, ConnectionFilter, ConnectionView, EmitSink, PublishOptions, PublishResult } from "../delivery/broadcast-operator.js";
import { joinFromServer } from "./commands.js";
import type { RoomAccessHook } from "./commands.js";
import { Dispatcher } from "./dispatch.js";
import { Replier } from "./replier.js";
import { UpgradeHandler } from "./upgrade.js";
import type { Connection } from "../delivery/connection.js";
import { ConnectionLifecycle } from "./connection-lifecycle.js";
import { Heartbeat } from "./heartbeat.js";
import { LifecycleEmitter } from "./lifecycle-events.js";
import { PendingWork } from "./pending-work.js";
import { DeliveryFailures } from "../delivery/delivery-failures.js";
import { FanOut } from "../delivery/fan-out.js";
import { Hub } from "../delivery/hub.js";
import { resolveOptions } from "./options.js";
import type { ResolvedOptions, SwitchboardOptions } from "./options.js";
import { Router } from "./router.js";
import type { LifecycleEvents } from "../cluster/lifecycle-publisher.js";
import type { Handler, Middleware, RequestHandler, Route } from "./router.js";
import type { AcceptsData, DefaultEventMap, EventMap, EventsOf, RequestData, RequestReply, RequestType, RequestsOf } from "../protocol/event-map.js";
import type { SwitchboardObserver } from "../protection/observer.js";
import { ObserverList } from "./observer-list.js";
import { WireMounts } from "./wire-mounts.js";
import type { WireAdapter } from "../wire/wire-adapter.js";

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

/** Longest wait for connection cleanups after shutdown terminated the stragglers. */
const CLEANUP_GRACE_MS = 2_000;

type InferOutput<Schema extends StandardSchemaV1> = StandardSchemaV1.InferOutput<Schema>;
/** A handler typed by some EventMap, as the overloads of `handle` accept it. */
type TypedHandler = (ctx: never, data: never) => unknown;

/**
 * A Switchboard node: accepts WebSocket upgrades, routes frames to built-in
 * commands and registered handlers, and delivers broadcasts through its Broker.
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

  protected readonly hub = new Hub();
  /** Every broker publish and receipt, and the delivery of frames to the hub (src/delivery/fan-out.ts). */
  protected readonly fanOut: FanOut;
  protected readonly roomService: RoomService;
  /** The one gate of every join and publication (src/rooms/admission.ts). */
  protected readonly admission: Admission;
  private readonly router = new Router();
  private readonly middleware: Middleware[] = [];
  private readonly events: LifecycleEmitter;
  private readonly heartbeat: Heartbeat;
  private readonly upgrades: UpgradeHandler;
  private readonly codecs = new Map<string, Codec>([
    [jsonCodec.subprotocol, jsonCodec],
    [msgpackCodec.subprotocol, msgpackCodec],
  ]);
  private readonly policies: RoomPolicies;
  private readonly dispatcher: Dispatcher;
  private ownServer: HttpServer | undefined;
  private closing: Promise<void> | undefined;
  /** Owns the end of every connection; shutdown waits on it (src/server/connection-lifecycle.ts). */
  private readonly lifecycle: ConnectionLifecycle;
  private readonly counters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
  private readonly startedAt = Date.now();
  private readonly baseOperator: BroadcastOperator<EventsOf<Map>>;
  private readonly deliveryFailures: DeliveryFailures;
  private readonly wires = new WireMounts();

  constructor(options: SwitchboardOptions = {}) {
    this.options = resolveOptions(options);
    this.node = this.options.nodeId ?? `node-${randomBytes(4).toString("hex")}`;
    this.logger = (options.logger ?? createLogger(options.logLevel)).child({ node: this.node });
    this.authenticator = new Authenticator(options.auth);
    this.observer = new ObserverList(options.observer);
    this.protection = new Protection(options.protection, this.observer, this.logger);
    this.deliveryFailures = new DeliveryFailures(this.logger, this.observer);
    this.broker = options.broker ?? new MemoryBroker();
    this.presenceStore = options.presence ?? new MemoryPresenceStore();
    this.historyStore = options.history ?? new MemoryHistoryStore(options.historyLimits);
    const policies = (this.policies = new RoomPolicies(options.rooms));
    const work = new PendingWork(this.logger);
    const events = (this.events = new LifecycleEmitter(this.logger, work));
    this.heartbeat = new Heartbeat({ hub: this.hub, protection: this.protection, heartbeatMs: this.options.heartbeatMs, idleTimeoutMs: this.options.idleTimeoutMs });
    this.fanOut = new FanOut({
      hub: this.hub,
      broker: this.broker,
      history: this.historyStore,
      observer: this.observer,
      logger: this.logger,
      counters: this.counters,
      maxRoomNameLength: this.options.maxRoomNameLength,
    });
    this.roomService = new RoomService({
      node: this.node,
      hub: this.hub,
      fanOut: this.fanOut,
      presence: this.presenceStore,
      history: this.historyStore,
      policies,
      logger: this.logger,
      presenceIntervalMs: this.options.presenceIntervalMs,
      onJoin: (connection, room) => events.emit("join", connection, room),
      onLeave: (connection, room) => events.emit("leave", connection, room),
    });
    this.lifecycle = new ConnectionLifecycle({
      hub: this.hub,
      rooms: this.roomService,
      observer: this.observer,
      logger: this.logger,
      events,
      work,
    });
    this.presenceStore.onExpired?.((room, entry) =>
      Promise.all([this.roomService.announceExpired(room, entry.userId, entry.connectionId), this.cluster.memberLost(room, entry)]),
    );
    const verifier = this.authenticator.verifier;
    this.admission = new Admission({
      rooms: this.roomService,
      policies,
      multipleRooms: this.options.multipleRooms,
      maxRoomNameLength: this.options.maxRoomNameLength,
      maxRoomsPerConnection: this.protection.settings.maxRoomsPerConnection,
      joinsPerMinute: this.protection.settings.joinsPerMinute,
      canJoin: options.canJoin,
      canPublish: options.canPublish,
      takeJoin: (connection) => connection.guard?.admitJoin() ?? true,
      refused: (reason) => this.observer.refused(reason),
    });
    this.baseOperator = new BroadcastOperator<EventsOf<Map>>(this.fanOut);
    const base = this.baseOperator;
    const admission = this.admission;
    const replier = new Replier({ counters: this.counters, observer: this.observer, logger: this.logger, events });
    this.dispatcher = new Dispatcher({
      node: this.node,
      protection: this.protection,
      observer: this.observer,
      counters: this.counters,
      replier,
      events,
      router: this.router,
      middleware: this.middleware,
      commands: {
        rooms: this.roomService,
        admission,
        policies,
        maxRoomNameLength: this.options.maxRoomNameLength,
        refreshToken: verifier === undefined ? undefined : (token) => verifier.verify(token),
        expiry: this.heartbeat,
        replier,
      },
      rooms: this.roomService,
      admission,
      // The same API as the Switchboard's own to()/publish(), without handing handlers the Switchboard.
      broadcast: {
        to: (rooms) => base.to(rooms),
        toUser: (userIds) => base.toUser(userIds),
        toConnection: (connectionIds) => base.toConnection(connectionIds),
        toAll: () => base.toAll(),
        publish: (room, data, publishOptions) => admission.publish(room, data, publishOptions),
      },
    });
    this.cluster = new ClusterBus(this, this.fanOut, options.cluster);
    this.ready = this.fanOut.start();
    this.ready.catch((error: unknown) => this.logger.error({ err: error }, "broker failed to start"));
    this.upgrades = new UpgradeHandler({
      node: this.node,
      maxPayload: this.options.maxPayload,
      heartbeatMs: this.options.heartbeatMs,
      protection: this.protection,
      authenticator: this.authenticator,
      hub: this.hub,
      ready: this.ready,
      wires: this.wires,
      codecs: this.codecs,
      logger: this.logger,
      observer: this.observer,
      deliveryFailures: this.deliveryFailures,
      lifecycle: this.lifecycle,
      events,
      dispatcher: this.dispatcher,
      replier,
      heartbeat: this.heartbeat,
    });
    this.heartbeat.start();
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
    if (typeof schemaOrHandler === "function") this.router.add(route, undefined, schemaOrHandler as Handler);
    else if (typeof maybeHandler === "function") this.router.add(route, schemaOrHandler, maybeHandler as Handler);
    else throw new TypeError("handle(): a handler function is required");
    return this;
  }

  use(middleware: Middleware<Map>): this {
    if (typeof middleware !== "function") throw new TypeError("use(): middleware must be a function");
    this.middleware.push(middleware as Middleware);
    return this;
  }

  /**
   * Adds a lifecycle listener. A listener that returns a promise is waited for: shutdown
   * closes the broker and stores only once every `leave`/`disconnect` listener settled.
   */
  on<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): this {
    this.events.on(event, listener);
    return this;
  }

  off<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): this {
    this.events.off(event, listener);
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
    this.codecs.set(codec.subprotocol, codec);
    return this;
  }

  /**
   * Serves another wire protocol on `path` and the paths below it, on every server
   * this node is attached to (see docs/server.md, "Wire adapters").
   */
  mount(path: string, adapter: WireAdapter): this {
    this.wires.add(path, adapter);
    for (const guard of adapter.roomGuards ?? []) this.policies.guard(guard.match, guard.join);
    return this;
  }

  // ---- Upgrades -------------------------------------------------------------------------

  /** Serves WebSocket upgrades on `path` of an existing HTTP(S) server. */
  attach(server: HttpServer | HttpsServer, options: { path?: string } = {}): this {
    this.upgrades.attach(server, options.path ?? this.options.path);
    return this;
  }

  /** Takes over one upgrade request (for servers that route upgrades themselves). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgrades.handleUpgrade(request, socket, head);
  }

  /** Starts a standalone HTTP server serving the WebSocket endpoint and the browser client (/switchboard.js). */
  async listen(port: number, host = "0.0.0.0"): Promise<AddressInfo> {
    const server = createServer(this.protection.httpServerOptions(), (request, response) => {
      if (serveClientBundle(request, response)) return;
      const status = (request.url ?? "/").split("?")[0] === this.options.path ? 426 : 404;
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: { code: status === 426 ? "bad_request" : "not_found", message: status === 426 ? "WebSocket upgrade required." : "Not found." } }));
    });
    this.ownServer = server;
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    await this.ready;
    return server.address() as AddressInfo;
  }

  // ---- Broadcast API --------------------------------------------------------------------

  to(rooms: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.baseOperator.to(rooms);
  }

  toUser(userIds: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.baseOperator.toUser(userIds);
  }

  toConnection(connectionIds: string | readonly string[]): BroadcastOperator<EventsOf<Map>> {
    return this.baseOperator.toConnection(connectionIds);
  }

  toAll(): BroadcastOperator<EventsOf<Map>> {
    return this.baseOperator.toAll();
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
    return { node: this.node, connections: this.hub.connections.size, users: this.hub.userCount, rooms: this.hub.roomCount, ...this.counters, startedAt: this.startedAt };
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
    this.closing ??= this.shutdown(options.code ?? CloseCode.goingAway, options.reason ?? "server shutting down");
    return this.closing;
  }

  private async shutdown(code: number, reason: string): Promise<void> {
    this.heartbeat.stop();
    // From here on, upgrades in every mode are answered 503 with Retry-After.
    this.upgrades.refuseAll();
    for (const connection of this.hub.connections.values()) connection.close(code, reason);
    const timeoutMs = this.options.shutdownTimeoutMs;
    const terminate = setTimeout(() => {
      for (const connection of this.hub.connections.values()) connection.socket.terminate();
    }, timeoutMs);
    // Stragglers are terminated at the deadline; their cleanups (leaves, listeners: store and broker
    // round trips) then get a fixed grace, bounded so that a process manager's kill deadline
    // (10 s for `switchboard start`, with the default 5 s handshake deadline) is kept.
    const finished = await settleWithin(this.lifecycle.settled(), timeoutMs + CLEANUP_GRACE_MS);
    clearTimeout(terminate);
    if (!finished) this.logger.warn(this.lifecycle.unfinished, "shutdown deadline passed with connection cleanups still running");
    this.cluster.close();
    // The presence store first: entries it still holds are announced as leaves, which needs the broker.
    await this.presenceStore.close().catch((error: unknown) => this.logger.warn({ err: error }, "closing the presence store failed"));
    // Then the coalesced announcements still pending (those leaves, and the connections just closed) go out.
    await this.roomService.announcer.close();
    await Promise.allSettled([this.broker.close(), this.historyStore.close()]);
    if (this.ownServer !== undefined) {
      const server = this.ownServer;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.logger.info("switchboard closed");
  }
}

/** Resolves true when `work` settled within `ms`, false when the time ran out first. */
function settleWithin(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** `createSwitchboard<AppEvents>(options)` types handlers and emits with the app's EventMap. */
export function createSwitchboard<Map extends EventMap = DefaultEventMap>(options?: SwitchboardOptions): Switchboard<Map> {
  return new Switchboard<Map>(options);
}

export type { RoomAccessHook };
export type { LifecycleEvents };

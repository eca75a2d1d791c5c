import { randomBytes } from "node:crypto";
import { Authenticator } from "../auth/authenticator.js";
import type { Broker } from "../broker/broker.js";
import { MemoryBroker } from "../broker/memory-broker.js";
import { ClusterBus } from "../cluster/cluster-bus.js";
import { BroadcastOperator } from "../delivery/broadcast-operator.js";
import type { BroadcastApi } from "../delivery/broadcast-operator.js";
import { DeliveryFailures } from "../delivery/delivery-failures.js";
import { FanOut } from "../delivery/fan-out.js";
import { Hub } from "../delivery/hub.js";
import type { HistoryStore } from "../history/history-store.js";
import { MemoryHistoryStore } from "../history/memory-history-store.js";
import { createLogger } from "../log/logger.js";
import type { Logger } from "../log/logger.js";
import { MemoryPresenceStore } from "../presence/memory-presence-store.js";
import type { PresenceStore } from "../presence/presence-store.js";
import { Protection } from "../protection/protection.js";
import { jsonCodec } from "../protocol/codec.js";
import type { Codec } from "../protocol/codec.js";
import type { EventMap, EventsOf } from "../protocol/event-map.js";
import { msgpackCodec } from "../protocol/msgpack-codec.js";
import { Admission } from "../rooms/admission.js";
import { RoomPolicies } from "../rooms/room-policy.js";
import { RoomService } from "../rooms/room-service.js";
import { ConnectionLifecycle } from "./connection-lifecycle.js";
import { Dispatcher } from "./dispatch.js";
import { Heartbeat } from "./heartbeat.js";
import { LifecycleEmitter } from "./lifecycle-events.js";
import { ObserverList } from "./observer-list.js";
import { resolveOptions } from "./options.js";
import type { ResolvedOptions, SwitchboardOptions } from "./options.js";
import { PendingWork } from "./pending-work.js";
import { Replier } from "./replier.js";
import type { TrafficCounters } from "./replier.js";
import { Router } from "./router.js";
import type { Middleware } from "./router.js";
import { Shutdown } from "./shutdown.js";
import { UpgradeHandler } from "./upgrade.js";
import { WireMounts } from "./wire-mounts.js";

/** What the Switchboard facade keeps of its collaborators, to serve its public API. */
export interface SwitchboardParts<AppEvents extends EventMap> {
  options: ResolvedOptions;
  node: string;
  logger: Logger;
  authenticator: Authenticator;
  broker: Broker;
  presenceStore: PresenceStore;
  historyStore: HistoryStore;
  observer: ObserverList;
  protection: Protection;
  ready: Promise<void>;
  cluster: ClusterBus;
  hub: Hub;
  fanOut: FanOut;
  roomService: RoomService;
  admission: Admission;
  router: Router;
  /** `use()` appends to it; the dispatcher reads the same array. */
  middleware: Middleware[];
  /** `addCodec()` adds to it; the upgrade reads the same map. */
  codecs: Map<string, Codec>;
  wires: WireMounts;
  policies: RoomPolicies;
  counters: TrafficCounters;
  events: LifecycleEmitter;
  baseOperator: BroadcastOperator<EventsOf<AppEvents>>;
  upgrades: UpgradeHandler;
  shutdown: Shutdown;
}

/**
 * Builds a node's collaborators and hands each its dependencies, in the order they
 * need each other: read top to bottom, this is the node's dependency graph. Nothing
 * here is handed the Switchboard; starts the broker and the connection timers.
 */
export function wireSwitchboard<AppEvents extends EventMap>(input: SwitchboardOptions): SwitchboardParts<AppEvents> {
  const options = resolveOptions(input);
  const node = options.nodeId ?? `node-${randomBytes(4).toString("hex")}`;
  const logger = (input.logger ?? createLogger(input.logLevel)).child({ node });
  const authenticator = new Authenticator(input.auth);
  const observer = new ObserverList(input.observer);
  const protection = new Protection(input.protection, observer, logger);
  const broker: Broker = input.broker ?? new MemoryBroker();
  const presenceStore: PresenceStore = input.presence ?? new MemoryPresenceStore();
  const historyStore: HistoryStore = input.history ?? new MemoryHistoryStore(input.historyLimits);
  const hub = new Hub();
  const counters: TrafficCounters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
  const policies = new RoomPolicies(input.rooms);
  const work = new PendingWork(logger);
  const events = new LifecycleEmitter(logger, work);
  const heartbeat = new Heartbeat({ hub, protection, heartbeatMs: options.heartbeatMs, idleTimeoutMs: options.idleTimeoutMs });

  // Rooms and delivery.
  const fanOut = new FanOut({
    hub,
    broker,
    history: historyStore,
    observer,
    logger,
    counters,
    maxRoomNameLength: options.maxRoomNameLength,
  });
  const roomService = new RoomService({
    node,
    hub,
    fanOut,
    presence: presenceStore,
    history: historyStore,
    policies,
    logger,
    presenceIntervalMs: options.presenceIntervalMs,
    onJoin: (connection, room) => events.emit("join", connection, room),
    onLeave: (connection, room) => events.emit("leave", connection, room),
  });
  const lifecycle = new ConnectionLifecycle({ hub, rooms: roomService, observer, logger, events, work });
  const admission = new Admission({
    rooms: roomService,
    policies,
    multipleRooms: options.multipleRooms,
    maxRoomNameLength: options.maxRoomNameLength,
    maxRoomsPerConnection: protection.settings.maxRoomsPerConnection,
    joinsPerMinute: protection.settings.joinsPerMinute,
    canJoin: input.canJoin,
    canPublish: input.canPublish,
    takeJoin: (connection) => connection.guard?.admitJoin() ?? true,
    refused: (reason) => observer.refused(reason),
  });
  const baseOperator = new BroadcastOperator<EventsOf<AppEvents>>(fanOut);
  // What handlers and cluster subscribers broadcast with: the API of the Switchboard's own to()/publish().
  const broadcast: BroadcastApi<EventsOf<AppEvents>> = {
    to: (rooms) => baseOperator.to(rooms),
    toUser: (userIds) => baseOperator.toUser(userIds),
    toConnection: (connectionIds) => baseOperator.toConnection(connectionIds),
    toAll: () => baseOperator.toAll(),
    publish: (room, data, publishOptions) => admission.publish(room, data, publishOptions),
  };
  const lifecycleSource = { node, on: events.on.bind(events), off: events.off.bind(events) };
  const cluster = new ClusterBus({ ...broadcast, ...lifecycleSource, logger, observer }, fanOut, input.cluster);
  presenceStore.onExpired?.((room, entry) => Promise.all([roomService.announceExpired(room, entry.userId, entry.connectionId), cluster.memberLost(room, entry)]));
  presenceStore.onRestored?.((room, entry) => cluster.memberRestored(room, entry));

  // Inbound frames, and the upgrade that opens connections.
  const router = new Router();
  const middleware: Middleware[] = [];
  const replier = new Replier({ counters, observer, logger, events });
  const verifier = authenticator.verifier;
  const commands = {
    rooms: roomService,
    admission,
    policies,
    maxRoomNameLength: options.maxRoomNameLength,
    refreshToken: verifier === undefined ? undefined : (token: string) => verifier.verify(token),
    expiry: heartbeat,
    replier,
  };
  const dispatcher = new Dispatcher({ node, protection, observer, counters, replier, events, router, middleware, commands, rooms: roomService, admission, broadcast });
  const ready = fanOut.start();
  ready.catch((error: unknown) => logger.error({ err: error }, "broker failed to start"));
  const codecs = new Map<string, Codec>([
    [jsonCodec.subprotocol, jsonCodec],
    [msgpackCodec.subprotocol, msgpackCodec],
  ]);
  const wires = new WireMounts();
  const deliveryFailures = new DeliveryFailures(logger, observer);
  const { maxPayload, heartbeatMs } = options;
  const upgrades = new UpgradeHandler({ node, maxPayload, heartbeatMs, protection, authenticator, hub, ready, wires, codecs, logger, observer, deliveryFailures, lifecycle, events, dispatcher, replier, heartbeat });

  const shutdown = new Shutdown({
    heartbeat,
    upgrades,
    hub,
    lifecycle,
    cluster,
    presenceStore,
    rooms: roomService,
    broker,
    historyStore,
    logger,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
  });
  heartbeat.start();
  return {
    options, node, logger, authenticator, broker, presenceStore, historyStore, observer, protection, ready, cluster,
    hub, fanOut, roomService, admission, router, middleware, codecs, wires, policies, counters, events, baseOperator, upgrades, shutdown,
  };
}

import { NODES_TOPIC, preciseNow, roomMessage, roomTopic } from "../broker/broker.js";
import type { BroadcastTargets, Broker, BrokerMessage } from "../broker/broker.js";
import type { HistoryStore, StreamPublication } from "../history/history-store.js";
import type { Logger } from "../log/logger.js";
import type { PresenceChanges } from "../presence/presence-diff.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { PresenceDiff, PresenceFrame } from "../protocol/frames.js";
import { assertCarriable, assertDataSize } from "../protocol/payload-limits.js";
import { assertRoomName } from "../protocol/room-name.js";
import type { SwitchboardObserver } from "../protection/observer.js";
import type { ConnectionFilter, EmitSink, PublishResult } from "./broadcast-operator.js";
import { assertEventType } from "./event-type.js";
import type { Hub } from "./hub.js";
import { PreparedFrame } from "./prepared-frame.js";

/** The observer hooks the fan-out calls; the Switchboard's ObserverList has them all. */
export type FanOutObserver = Required<Pick<SwitchboardObserver, "brokerPublished" | "brokerReceived" | "brokerFailed" | "broadcastPublished" | "frameSent" | "delivered">> & {
  /** False when nothing would hear `delivered`: the delivery latency is then not measured (one clock read per publication). */
  readonly listening?: boolean;
};

/** The node's outbound frame counters (the Switchboard's stats), advanced for every delivery. */
export interface DeliveryCounters {
  framesOut: number;
  bytesOut: number;
}

export interface FanOutDeps {
  hub: Hub;
  broker: Broker;
  history: HistoryStore;
  observer: FanOutObserver;
  logger: Logger;
  counters: DeliveryCounters;
  maxRoomNameLength: number;
}

/**
 * A room publication as the room service hands it over, after admission: kept in the
 * room's stream, or volatile (the whole frame, never stored, no offset).
 */
export type RoomPublication = (StreamPublication & { volatile: false }) | { volatile: true; frame: string; except: string | undefined; sentAt: number };

export interface DisconnectMessage {
  userId?: string | undefined;
  connectionId?: string | undefined;
  code: number;
  reason: string;
}

/** Broker messages the fan-out does not deliver itself: it hands each kind to the one receiver that registered for it. */
type RoutedKind = "presence" | "cluster";
type MessageOf<Kind extends BrokerMessage["kind"]> = Extract<BrokerMessage, { kind: Kind }>;

/** The one answer to a failed broker or store round trip, whichever publication it was. */
const UNAVAILABLE = "The message broker or store is unavailable; retry later.";

/**
 * The node's side of every broadcast, as Socket.IO's adapter and centrifuge's hub
 * are: the one place that publishes to the broker (one error mapping, one set of
 * observer calls), that receives the broker's messages and delivers their frames
 * to the hub, and that counts what was delivered. Layers above hand it what to
 * send and register for the message kinds they handle (presence batches, cluster
 * events); nothing here calls back up into the Switchboard.
 */
export class FanOut implements EmitSink {
  private readonly deps: FanOutDeps;
  private readonly receivers: { [Kind in RoutedKind]?: (message: MessageOf<Kind>) => void } = {};
  /** Room subscriptions in progress or done, so that concurrent joins all wait for the same one. */
  private readonly subscriptions = new Map<string, Promise<void>>();

  constructor(deps: FanOutDeps) {
    this.deps = deps;
  }

  /** Starts the broker's delivery to this node and subscribes the topic every node hears. */
  start(): Promise<void> {
    const broker = this.deps.broker;
    return broker.start((topic, message) => this.receiveSafely(topic, message)).then(() => broker.subscribe(NODES_TOPIC));
  }

  /** Registers the receiver of one kind of broker message (one per kind; a later one replaces it). */
  route<Kind extends RoutedKind>(kind: Kind, receiver: (message: MessageOf<Kind>) => void): void {
    (this.receivers as Record<RoutedKind, (message: BrokerMessage) => void>)[kind] = receiver as (message: BrokerMessage) => void;
  }

  // ---- Room subscriptions ---------------------------------------------------------------

  /** The room got its first member on this node: its traffic is wanted from now on. */
  roomOccupied(room: string): void {
    this.subscribeRoom(room);
  }

  /**
   * Resolves once the room's traffic reaches this node; rejects when the broker refused the subscription
   * (every join waiting for that attempt is refused with it). A join after a refusal starts a new attempt.
   */
  roomSubscribed(room: string): Promise<void> | undefined {
    const subscription = this.subscriptions.get(room);
    if (subscription !== undefined || this.deps.hub.roomMembers(room) === undefined) return subscription;
    return this.subscribeRoom(room);
  }

  /** The room's last member on this node left: its traffic is no longer wanted. */
  roomVacated(room: string): void {
    this.subscriptions.delete(room);
    this.deps.broker.unsubscribe(roomTopic(room)).catch((error: unknown) => this.deps.logger.warn({ err: error, room }, "broker unsubscribe failed"));
  }

  private subscribeRoom(room: string): Promise<void> {
    let attempt: Promise<void>;
    try {
      attempt = this.deps.broker.subscribe(roomTopic(room));
    } catch (error) {
      attempt = Promise.reject(error);
    }
    // Forgotten once refused: the room must not stay recorded as subscribed, nor every later join share the refusal.
    attempt.catch(() => {
      if (this.subscriptions.get(room) === attempt) this.subscriptions.delete(room);
    });
    this.subscriptions.set(room, attempt);
    return attempt;
  }

  // ---- Publishing -----------------------------------------------------------------------

  /**
   * Publishes a `message` to a room: through the room's stream (appended to its history,
   * then or at once sent to every node with members there; see HistoryStore.publish), or
   * straight to the broker when volatile. With the in-memory store and broker, local
   * members receive it before this returns, on the publisher's call stack.
   */
  publishRoom(room: string, publication: RoomPublication): Promise<PublishResult> {
    const { broker, history } = this.deps;
    // One promise per publication beyond the broker's or store's own: the caller's reply is all that waits.
    // The success handlers are built once per fan-out (below), not per publication; only the
    // failure handler needs the room, so it is the one closure a publication still costs.
    const rejected = (error: unknown): never => this.rejected(error, room);
    try {
      if (publication.volatile) {
        return broker.publish(roomTopic(room), roomMessage(room, publication.frame, publication.sentAt, publication.except)).then(this.volatilePublished, rejected);
      }
      return history.publish(room, publication, broker).then(this.streamPublished, rejected);
    } catch (error) {
      return Promise.reject(this.failed(error, roomTopic(room)));
    }
  }

  private readonly volatilePublished = (): PublishResult => {
    this.published(true);
    return { offset: undefined, epoch: undefined };
  };

  private readonly streamPublished = (published: PublishResult): PublishResult => {
    this.published(true);
    return { offset: published.offset, epoch: published.epoch };
  };

  /**
   * Sends `{type, room?, data, ts}` to the union of targets on every node, each connection
   * once. A filter cannot cross nodes: a filtered broadcast reaches this node's connections only.
   */
  emitToTargets(targets: BroadcastTargets, type: string, data: unknown, filter: ConnectionFilter | undefined): Promise<void> {
    let frame: string;
    let sentAt: number;
    const rooms = targets.rooms ?? [];
    const singleRoom = rooms.length === 1 && !targets.all && (targets.userIds?.length ?? 0) === 0 && (targets.connectionIds?.length ?? 0) === 0;
    try {
      assertEventType(type);
      for (const room of rooms) assertRoomName(room, this.deps.maxRoomNameLength);
      assertCarriable(data, "data");
      sentAt = preciseNow();
      const ts = Math.floor(sentAt);
      frame = JSON.stringify(singleRoom ? { type, room: rooms[0], data, ts } : { type, data, ts });
      assertDataSize(frame, "data");
    } catch (error) {
      return Promise.reject(error);
    }
    if (filter !== undefined) {
      const prepared = new PreparedFrame(frame);
      try {
        this.recordDelivery(this.deps.hub.deliverToTargets(targets, prepared, filter), prepared, sentAt);
      } catch (error) {
        // The filter is the caller's code.
        return Promise.reject(error);
      }
      this.deps.observer.broadcastPublished();
      return Promise.resolve();
    }
    const except = targets.except ?? [];
    const message: BrokerMessage =
      singleRoom && except.length <= 1
        ? roomMessage(rooms[0]!, frame, sentAt, except[0])
        : { kind: "targets", targets, frame, sentAt };
    return this.publish(message.kind === "room" ? roomTopic(message.room) : NODES_TOPIC, message, true);
  }

  /** Closes a user's or a connection's sockets on whichever node holds them. */
  disconnect(request: DisconnectMessage): Promise<void> {
    const message: BrokerMessage = { kind: "disconnect", code: request.code, reason: request.reason };
    if (request.userId !== undefined) message.userId = request.userId;
    if (request.connectionId !== undefined) message.connectionId = request.connectionId;
    return this.publish(NODES_TOPIC, message, false);
  }

  /** Sends this node's coalesced presence changes in a room to every node with members there. */
  announcePresence(room: string, changes: PresenceChanges): Promise<void> {
    return this.publish(roomTopic(room), { kind: "presence", room, changes }, false);
  }

  /** Sends a cluster event to every node. */
  publishCluster(channel: string, payload: unknown, origin: string): Promise<void> {
    return this.publish(NODES_TOPIC, { kind: "cluster", channel, payload, origin }, false);
  }

  // ---- Local delivery -------------------------------------------------------------------

  /** Delivers a presence frame (built here, the one place that builds them) to this node's members of a room. */
  deliverPresence(room: string, data: PresenceDiff): void {
    const frame = PreparedFrame.of({ type: "presence", room, data } satisfies PresenceFrame);
    this.recordDelivery(this.deps.hub.deliverToRoom(room, frame, undefined, undefined), frame, undefined);
  }

  // ---- Receiving ------------------------------------------------------------------------

  /** A broker's callback must not throw: a Redis client rethrows listener errors, which would exit the process. */
  private receiveSafely(topic: string, message: BrokerMessage): void {
    try {
      this.receive(message);
    } catch (error) {
      this.deps.logger.error({ err: error, topic }, "handling a broker message failed");
    }
  }

  private receive(message: BrokerMessage): void {
    const { hub, observer } = this.deps;
    observer.brokerReceived();
    switch (message.kind) {
      case "room": {
        const frame = new PreparedFrame(message.frame);
        this.recordDelivery(hub.deliverToRoom(message.room, frame, message.offset, message.except), frame, message.sentAt);
        return;
      }
      case "targets": {
        const frame = new PreparedFrame(message.frame);
        this.recordDelivery(hub.deliverToTargets(message.targets, frame), frame, message.sentAt);
        return;
      }
      case "disconnect": {
        const targets =
          message.connectionId !== undefined ? [hub.connections.get(message.connectionId)] : message.userId !== undefined ? [...(hub.userConnections(message.userId) ?? [])] : [];
        for (const connection of targets) connection?.close(message.code, message.reason);
        return;
      }
      case "presence":
        this.receivers.presence?.(message);
        return;
      case "cluster":
        this.receivers.cluster?.(message);
        return;
    }
  }

  // ---- The one publish, its error mapping and its counts --------------------------------

  private publish(topic: string, message: BrokerMessage, broadcast: boolean): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = this.deps.broker.publish(topic, message);
    } catch (error) {
      return Promise.reject(this.failed(error, topic));
    }
    return sent.then(
      () => this.published(broadcast),
      (error: unknown) => {
        throw this.failed(error, topic);
      },
    );
  }

  /** Counts a publication that reached the broker; `broadcast`: one a user sees (a message or event). */
  private published(broadcast: boolean): void {
    this.deps.observer.brokerPublished();
    if (broadcast) this.deps.observer.broadcastPublished();
  }

  private rejected(error: unknown, room: string): never {
    throw this.failed(error, roomTopic(room));
  }

  private failed(error: unknown, topic: string): SwitchboardError {
    this.deps.observer.brokerFailed("publish");
    if (error instanceof SwitchboardError) return error;
    this.deps.logger.warn({ err: error, topic }, "broker or store unavailable");
    return new SwitchboardError("unavailable", UNAVAILABLE);
  }

  private recordDelivery(reached: number, frame: PreparedFrame, sentAt: number | undefined): void {
    if (reached === 0) return;
    // One byte count per frame, not per recipient: every recipient gets the same bytes.
    const bytes = frame.byteLength;
    const counters = this.deps.counters;
    counters.framesOut += reached;
    counters.bytesOut += reached * bytes;
    this.deps.observer.frameSent(reached, bytes);
    if (sentAt !== undefined && this.deps.observer.listening !== false) this.deps.observer.delivered(preciseNow() - sentAt, reached);
  }
}

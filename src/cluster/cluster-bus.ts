import type { BrokerMessage } from "../broker/broker.js";
import type { Logger } from "../log/logger.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import { BroadcastOperator } from "../delivery/broadcast-operator.js";
import type { BroadcastApi } from "../delivery/broadcast-operator.js";
import type { FanOut } from "../delivery/fan-out.js";
import type { SwitchboardObserver } from "../protection/observer.js";
import { toJsonPayload } from "./json-payload.js";
import { ClusterLifecycle, RESERVED_CHANNEL_PREFIX } from "./lifecycle-channels.js";
import type { RoomLifecyclePayload } from "./lifecycle-channels.js";
import { connectLifecycle } from "./lifecycle-publisher.js";
import type { LifecycleSource } from "./lifecycle-publisher.js";
import { runSubscriber } from "./middleware.js";
import { SubscriberRegistry } from "./subscriber-registry.js";
import type { Subscriber } from "./subscriber-registry.js";
import type { ClusterEvent, ClusterHandler, ClusterOptions, ClusterStats, ClusterSubscription } from "./types.js";

/** What the bus needs from its Switchboard (which satisfies it structurally). */
export interface ClusterHost extends BroadcastApi, LifecycleSource {
  readonly node: string;
  readonly logger: Logger;
  readonly observer: SwitchboardObserver;
}

type ClusterMessage = Extract<BrokerMessage, { kind: "cluster" }>;

const MAX_CHANNEL_LENGTH = 256;
/** What the bus needs of the node's fan-out: its broker publish and the receipt of `cluster` messages. */
export type ClusterFanOut = Pick<FanOut, "publishCluster" | "emitToTargets" | "route">;

/** Passes every connection: a filtered broadcast is delivered on this node only (see BroadcastOperator.filter). */
const THIS_NODE_ONLY = (): boolean => true;

/**
 * Server-side events across nodes: `emit` publishes on the broker topic every
 * node subscribes to; each node runs its matching subscribers. Subscribers run
 * on a later turn of the event loop than the one that received the event, each
 * isolated from the others: a throw is logged and counted, a slow async handler
 * delays only itself, and the WebSocket path never waits for any of them.
 */
export class ClusterBus {
  private readonly host: ClusterHost;
  private readonly fanOut: ClusterFanOut;
  private readonly registry = new SubscriberRegistry();
  private readonly emitToSelf: boolean;
  private readonly maxPending: number;
  private readonly localBroadcast: BroadcastOperator;
  private readonly aborter = new AbortController();
  private readonly disconnectLifecycle: (() => void) | undefined;
  /** One child logger per subscriber, made on its first run rather than per event. */
  private readonly loggers = new WeakMap<Subscriber, Logger>();
  private readonly counters: ClusterStats = { emitted: 0, received: 0, handled: 0, skipped: 0, failed: 0, dropped: 0 };
  private closed = false;

  constructor(host: ClusterHost, fanOut: ClusterFanOut, options: ClusterOptions = {}) {
    this.host = host;
    this.fanOut = fanOut;
    this.emitToSelf = options.emitToSelf ?? true;
    if (typeof this.emitToSelf !== "boolean") throw new TypeError('Switchboard option "cluster.emitToSelf" must be a boolean');
    this.maxPending = options.maxPending ?? 1000;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) throw new TypeError(`Switchboard option "cluster.maxPending" must be a positive integer, got ${String(options.maxPending)}`);
    this.localBroadcast = new BroadcastOperator(fanOut, {}, THIS_NODE_ONLY);
    this.disconnectLifecycle = options.lifecycleEvents === true ? connectLifecycle(host, (channel, payload) => this.publish(channel, payload)) : undefined;
    fanOut.route("cluster", (message) => this.receive(message));
  }

  /**
   * Sends an event to the subscribers of every node (this one too unless
   * `emitToSelf` is false). The payload must survive JSON: plain objects,
   * arrays, strings, finite numbers, booleans, null; anything else is refused
   * with `bad_request`. Rejects with `unavailable` when the broker is down.
   */
  async emit(channel: string, payload: unknown): Promise<void> {
    assertChannel(channel);
    if (channel.startsWith(RESERVED_CHANNEL_PREFIX)) throw new SwitchboardError("bad_request", `Cluster channels starting with "${RESERVED_CHANNEL_PREFIX}" are Switchboard's own.`);
    await this.publish(channel, toJsonPayload(payload));
  }

  /** Publishes on one of Switchboard's own `switchboard:` channels. */
  publishBuiltIn(channel: (typeof ClusterLifecycle)[keyof typeof ClusterLifecycle], payload: unknown): Promise<void> {
    return this.publish(channel, toJsonPayload(payload));
  }

  /**
   * Subscribes `handler` to events matching `channel`, any of `channels`, or any
   * `match` (string, RegExp on the channel, predicate on payload and channel).
   * Returns a function that unsubscribes.
   */
  on<Payload = unknown>(subscription: ClusterSubscription<Payload>, handler: ClusterHandler<Payload>): () => void {
    const subscriber = this.registry.add(subscription, handler);
    return () => this.registry.remove(subscriber);
  }

  stats(): ClusterStats {
    return { ...this.counters };
  }

  /** Every `cluster` message the broker delivers (the fan-out routes them here). */
  receive(message: ClusterMessage): void {
    if (this.closed) return;
    if (!this.emitToSelf && message.origin === this.host.node) return;
    this.counters.received++;
    // A later turn: subscribers never run on the stack of the publisher (the
    // in-memory broker delivers synchronously) nor of the broker's reader.
    setImmediate(() => this.dispatch(message));
  }

  /**
   * Publishes `room.left` for a member whose node is gone (a shared presence store swept
   * it), when lifecycle events are on: that node can no longer say so itself.
   */
  memberLost(room: string, member: { node: string; connectionId: string; userId: string | null }): Promise<void> {
    return this.memberChanged(ClusterLifecycle.roomLeft, room, member);
  }

  /**
   * A member of this node that the presence store found missing and wrote back (this node was
   * swept while alive, or the store lost it): its `room.left` may have gone out, so `room.joined`
   * follows, and consumers end with the member present, as it is.
   */
  memberRestored(room: string, member: { node: string; connectionId: string; userId: string | null }): Promise<void> {
    return this.memberChanged(ClusterLifecycle.roomJoined, room, member);
  }

  private memberChanged(channel: string, room: string, member: { node: string; connectionId: string; userId: string | null }): Promise<void> {
    if (this.disconnectLifecycle === undefined || this.closed) return Promise.resolve();
    const payload: RoomLifecyclePayload = { node: member.node, connectionId: member.connectionId, userId: member.userId, room };
    return this.publish(channel, payload).catch(() => undefined);
  }

  /** Stops running subscribers and aborts their signal; called when the Switchboard closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disconnectLifecycle?.();
    this.aborter.abort();
  }

  private async publish(channel: string, payload: unknown): Promise<void> {
    if (this.closed) throw new SwitchboardError("unavailable", "The Switchboard is closed.");
    await this.fanOut.publishCluster(channel, payload, this.host.node);
    this.counters.emitted++;
  }

  private dispatch(message: ClusterMessage): void {
    if (this.closed) return;
    const { channel, payload, origin } = message;
    const subscribers = this.registry.match(channel, payload, (subscriber, error) => this.fail(subscriber, message, error, "match predicate threw"));
    if (subscribers.length === 0) return;
    const node = this.host.node;
    const base = { channel, payload, origin, node, local: origin === node, broadcast: this.host, localBroadcast: this.localBroadcast, signal: this.aborter.signal };
    for (const subscriber of subscribers) {
      if (subscriber.pending >= this.maxPending) {
        this.counters.dropped++;
        this.host.logger.warn({ channel, subscriber: subscriber.name, pending: subscriber.pending }, "cluster subscriber overloaded; event dropped");
        this.host.observer.clusterSubscriberFailed?.(subscriber.name, "overloaded");
        continue;
      }
      const event: ClusterEvent = { ...base, subscriber: subscriber.name, logger: this.loggerFor(subscriber) };
      subscriber.pending++;
      runSubscriber(subscriber, event).then(
        (outcome) => {
          subscriber.pending--;
          if (outcome === "skipped") this.counters.skipped++;
          else this.counters.handled++;
        },
        (error: unknown) => {
          subscriber.pending--;
          this.fail(subscriber, message, error, "cluster subscriber failed");
        },
      );
    }
  }

  private loggerFor(subscriber: Subscriber): Logger {
    let logger = this.loggers.get(subscriber);
    if (logger === undefined) {
      logger = this.host.logger.child({ subscriber: subscriber.name });
      this.loggers.set(subscriber, logger);
    }
    return logger;
  }

  private fail(subscriber: Subscriber, message: ClusterMessage, error: unknown, what: string): void {
    this.counters.failed++;
    this.host.logger.error({ err: error, channel: message.channel, origin: message.origin, subscriber: subscriber.name }, what);
    this.host.observer.clusterSubscriberFailed?.(subscriber.name, "threw");
  }
}

function assertChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== "string" || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    throw new SwitchboardError("bad_request", `A cluster channel must be a non-empty string of at most ${MAX_CHANNEL_LENGTH} characters.`);
  }
}

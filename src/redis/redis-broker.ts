import { NODES_TOPIC } from "../broker/broker.js";
import type { Broker, BrokerHealth, BrokerMessage, BrokerMessageHandler } from "../broker/broker.js";
import type { RedisConnections } from "./redis-connections.js";
import { decodeEnvelope, encodeEnvelope } from "./redis-envelope.js";

export interface RedisBrokerOptions {
  /** This node's id, carried in every envelope. */
  node: string;
  /** Use Redis 7 sharded pub/sub (SPUBLISH/SSUBSCRIBE), which scales with a Redis Cluster. */
  sharded?: boolean;
  /** How long `start()` waits for the first connection before it resolves anyway. Default 5000. */
  startTimeoutMs?: number;
}

/**
 * A Broker on Redis pub/sub. Each topic is one channel; a node subscribes to a
 * room's channel only while it has local members there (RoomService counts).
 *
 * The broker keeps its own set of wanted topics and subscribes to all of them on
 * every "ready", so a Redis restart is survived without help. `start()` never
 * fails because Redis is away: the node serves its local connections, reports
 * unhealthy, fails publishes with `unavailable`, and keeps reconnecting with
 * backoff (ioredis) until Redis returns.
 *
 * A subscription Redis has not confirmed within the command timeout (a stalled
 * Redis; see command-deadline.ts) fails, and a room topic is then no longer
 * wanted: its UNSUBSCRIBE is sent behind the SUBSCRIBE on the same connection,
 * which Redis answers in order, so a late confirmation is undone, and a later
 * join's SUBSCRIBE, sent after both, wins. Redis's state is always the last
 * decision. A failed resubscribe on a live connection is retried with backoff.
 */
export class RedisBroker implements Broker {
  readonly name: string;
  readonly sharded: boolean;
  readonly node: string;
  private readonly connections: RedisConnections;
  private readonly startTimeoutMs: number;
  /** Wanted topics, confirmed or with their subscription in flight. */
  private readonly topics = new Set<string>();
  /** Subscriptions sent and not yet confirmed, so that a second subscribe of the topic waits for the same one. */
  private readonly pending = new Map<string, Promise<void>>();
  private onMessage: BrokerMessageHandler | undefined;
  private closed = false;
  /** Whether the wanted topics are subscribed on the current subscriber connection. */
  private subscribed = false;
  /** Counts resubscribe rounds: the outcome of a round that a newer one replaced is ignored. */
  private round = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retries = 0;
  private readonly resubscribe = (): void => {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const subscriber = this.connections.subscriber;
    if (this.closed || subscriber.status !== "ready") return;
    const round = ++this.round;
    const channels = [...this.topics].map((topic) => this.connections.keys.channel(topic));
    (channels.length === 0 ? Promise.resolve() : this.subscribeChannels(channels)).then(
      () => {
        if (round !== this.round) return;
        this.subscribed = subscriber.status === "ready";
        this.retries = 0;
      },
      () => {
        // A dropped connection retries on its next "ready"; a live one that did not answer (Redis stalled) must
        // not leave every room of this node deaf until some reconnect that may never come.
        if (round === this.round) this.retryLater();
      },
    );
  };
  private readonly lost = (): void => {
    this.subscribed = false;
    this.round++;
  };
  private readonly receive = (channel: string | Buffer, payload: string | Buffer): void => {
    if (this.closed || this.onMessage === undefined) return;
    const topic = this.connections.keys.topicOf(channel.toString());
    if (topic === undefined || !this.topics.has(topic)) return;
    let decoded;
    try {
      decoded = decodeEnvelope(payload.toString());
    } catch {
      // Not ours (a stray publisher on our channel): drop it rather than break the connection's reader.
      return;
    }
    if (decoded === undefined) return;
    try {
      this.onMessage(topic, decoded.message);
    } catch {
      // ioredis rethrows a listener's exception, which exits the process: a node's handler logs its own failures,
      // and whatever still escapes it must cost one message, never every connection of the node.
    }
  };

  constructor(connections: RedisConnections, options: RedisBrokerOptions) {
    this.connections = connections.acquire();
    this.node = options.node;
    this.sharded = options.sharded === true;
    this.name = this.sharded ? "redis-sharded" : "redis";
    this.startTimeoutMs = options.startTimeoutMs ?? 5_000;
  }

  async start(onMessage: BrokerMessageHandler): Promise<void> {
    this.onMessage = onMessage;
    const subscriber = this.connections.subscriber;
    subscriber.on(this.sharded ? "smessage" : "message", this.receive);
    subscriber.on("ready", this.resubscribe);
    subscriber.on("close", this.lost);
    if (subscriber.status === "ready") this.resubscribe();
    await this.connections.waitUntilReady(this.startTimeoutMs);
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    this.assertOpen();
    const channel = this.connections.keys.channel(topic);
    const payload = encodeEnvelope(this.node, message);
    const commands = this.connections.commands;
    if (commands.status !== "ready") throw new Error(`redis is ${this.connections.state()}`);
    if (this.sharded) await commands.spublish(channel, payload);
    else await commands.publish(channel, payload);
  }

  /**
   * Resolves once messages on the topic are delivered. While Redis is away, or when
   * it does not confirm within the command timeout, a room topic is refused (and
   * no longer wanted), so that a join fails with `unavailable` instead of hanging
   * or claiming a gap-free recovery it cannot give; the nodes topic stays wanted
   * and is subscribed on the next "ready" or retry (a node must not refuse to start).
   */
  subscribe(topic: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("broker closed"));
    const inFlight = this.pending.get(topic);
    if (inFlight !== undefined) return inFlight;
    if (this.topics.has(topic)) return Promise.resolve();
    this.topics.add(topic);
    const subscriber = this.connections.subscriber;
    if (subscriber.status !== "ready") {
      if (topic === NODES_TOPIC) return Promise.resolve();
      this.topics.delete(topic);
      return Promise.reject(new Error(`redis is ${this.connections.state()}`));
    }
    const channel = this.connections.keys.channel(topic);
    const attempt: Promise<void> = this.subscribeChannels([channel]).then(
      () => {
        if (this.pending.get(topic) === attempt) this.pending.delete(topic);
      },
      (error: unknown) => {
        // An unsubscribe meanwhile took the topic and undid it already.
        if (this.pending.get(topic) !== attempt) throw error;
        this.pending.delete(topic);
        if (topic === NODES_TOPIC) {
          this.subscribed = false;
          this.retryLater();
          return;
        }
        this.topics.delete(topic);
        this.unsubscribeChannel(channel);
        throw error;
      },
    );
    this.pending.set(topic, attempt);
    return attempt;
  }

  /** Never waits for Redis: the UNSUBSCRIBE is sent, and a stalled Redis fails it after the command timeout. */
  async unsubscribe(topic: string): Promise<void> {
    this.pending.delete(topic);
    if (!this.topics.delete(topic) || this.closed) return;
    this.unsubscribeChannel(this.connections.keys.channel(topic));
  }

  /**
   * Whether this open broker publishes on `connections`: a history store on the same
   * ones can then publish a room frame in the script that appends it (see RedisHistoryStore).
   */
  sharesConnections(connections: RedisConnections): boolean {
    return !this.closed && connections === this.connections;
  }

  /** Whether Redis is reachable; a health check turns 503 while it is not. */
  health(): BrokerHealth {
    if (this.closed) return { ok: false, detail: "closed" };
    const state = this.connections.ready && !this.subscribed ? "resubscribing" : this.connections.state();
    return state === "ready" ? { ok: true, detail: `${this.name} ${this.connections.description}` } : { ok: false, detail: `${this.name} ${this.connections.description}: ${state}` };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Stop delivering first: a closing node must not keep handing messages to connections it is draining.
    this.closed = true;
    this.onMessage = undefined;
    const subscriber = this.connections.subscriber;
    subscriber.off(this.sharded ? "smessage" : "message", this.receive);
    subscriber.off("ready", this.resubscribe);
    subscriber.off("close", this.lost);
    clearTimeout(this.retryTimer);
    this.topics.clear();
    this.pending.clear();
    await this.connections.release();
  }

  private async subscribeChannels(channels: string[]): Promise<void> {
    const subscriber = this.connections.subscriber;
    if (this.sharded) {
      // A sharded subscription names channels of one slot; each room has its own slot.
      await Promise.all(channels.map((channel) => subscriber.ssubscribe(channel)));
    } else await subscriber.subscribe(...channels);
  }

  /** Sent behind whatever this connection sent before, which Redis answers first; a lost connection lost the subscription anyway. */
  private unsubscribeChannel(channel: string): void {
    const subscriber = this.connections.subscriber;
    if (subscriber.status !== "ready") return;
    (this.sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel)).catch(() => {
      // Timed out on a stalled Redis, which runs it when it resumes; or the connection dropped.
    });
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(this.resubscribe, Math.min(100 * 2 ** this.retries++, 2_000));
    this.retryTimer.unref();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("broker closed");
  }
}

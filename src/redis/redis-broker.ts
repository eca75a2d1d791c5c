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
 */
export class RedisBroker implements Broker {
  readonly name: string;
  readonly sharded: boolean;
  readonly node: string;
  private readonly connections: RedisConnections;
  private readonly startTimeoutMs: number;
  private readonly topics = new Set<string>();
  private onMessage: BrokerMessageHandler | undefined;
  private closed = false;
  /** Whether the wanted topics are subscribed on the current subscriber connection. */
  private subscribed = false;
  private readonly resubscribe = (): void => {
    if (this.closed) return;
    const channels = [...this.topics].map((topic) => this.connections.keys.channel(topic));
    (channels.length === 0 ? Promise.resolve() : this.subscribeChannels(channels)).then(
      () => {
        this.subscribed = this.connections.subscriber.status === "ready";
      },
      () => {
        // The connection dropped again; the next "ready" retries.
      },
    );
  };
  private readonly lost = (): void => {
    this.subscribed = false;
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
   * Resolves once messages on the topic are delivered. While Redis is away a room
   * topic is refused, so that a join fails with `unavailable` instead of claiming a
   * gap-free recovery it cannot give; the nodes topic stays wanted and is
   * subscribed on the next "ready" (a node must not refuse to start).
   */
  async subscribe(topic: string): Promise<void> {
    this.assertOpen();
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    if (this.connections.subscriber.status === "ready") {
      try {
        await this.subscribeChannels([this.connections.keys.channel(topic)]);
        return;
      } catch (error) {
        if (topic === NODES_TOPIC) return;
        throw error;
      }
    }
    if (topic !== NODES_TOPIC) throw new Error(`redis is ${this.connections.state()}`);
  }

  async unsubscribe(topic: string): Promise<void> {
    if (!this.topics.delete(topic) || this.closed) return;
    const subscriber = this.connections.subscriber;
    if (subscriber.status !== "ready") return;
    const channel = this.connections.keys.channel(topic);
    try {
      if (this.sharded) await subscriber.sunsubscribe(channel);
      else await subscriber.unsubscribe(channel);
    } catch {
      // A dropped connection loses every subscription anyway.
    }
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
    this.topics.clear();
    await this.connections.release();
  }

  private async subscribeChannels(channels: string[]): Promise<void> {
    const subscriber = this.connections.subscriber;
    if (this.sharded) {
      // A sharded subscription names channels of one slot; each room has its own slot.
      await Promise.all(channels.map((channel) => subscriber.ssubscribe(channel)));
    } else await subscriber.subscribe(...channels);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("broker closed");
  }
}

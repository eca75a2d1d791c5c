import { randomBytes } from "node:crypto";
import type { Broker } from "../broker/broker.js";
import type { HistoryStore } from "../history/history-store.js";
import type { PresenceStore } from "../presence/presence-store.js";
import { RedisBroker } from "./redis-broker.js";
import { RedisConnections } from "./redis-connections.js";
import type { RedisConnectionOptions } from "./redis-connections.js";
import { RedisHistoryStore } from "./redis-history-store.js";
import { RedisPresenceStore } from "./redis-presence-store.js";

export interface RedisBackendOptions extends Omit<RedisConnectionOptions, "url"> {
  /** This node's id; pass the same value as the Switchboard's `nodeId`. Default: a random id. */
  nodeId?: string;
  /** Use sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7). Default false. */
  sharded?: boolean;
  /** How long a crashed node's presence entries survive it. Default 4000 (gone, announced, within about 5 s). */
  nodeTtlMs?: number;
  /** How long the broker's start waits for a first connection before the node serves anyway. Default 5000. */
  startTimeoutMs?: number;
}

export interface RedisBackends {
  nodeId: string;
  broker: Broker;
  presence: PresenceStore;
  history: HistoryStore;
}

/**
 * The broker, presence store and history store of a node on one Redis (or Redis
 * Cluster), sharing two connections. Spread the result into the Switchboard options:
 *
 *     const redis = createRedisBackends(process.env.REDIS_URL!);
 *     const sb = createSwitchboard({ ...redis, auth });
 *
 * Closing the Switchboard closes all three and, with the last, the connections.
 */
export function createRedisBackends(url: string, options: RedisBackendOptions = {}): RedisBackends {
  const nodeId = options.nodeId ?? `node-${randomBytes(4).toString("hex")}`;
  const connections = new RedisConnections({ url, ...options });
  const broker = new RedisBroker(connections, { node: nodeId, sharded: options.sharded ?? false, ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }) });
  // On the broker's connections: each publication is appended and published in one script.
  const history = new RedisHistoryStore(connections);
  const presence = new RedisPresenceStore(connections, { node: nodeId, ...(options.nodeTtlMs === undefined ? {} : { nodeTtlMs: options.nodeTtlMs }) });
  presence.pairWith(broker);
  return { nodeId, broker, presence, history };
}

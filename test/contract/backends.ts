import { MemoryBroker, MemoryHistoryStore, MemoryPresenceStore, RedisBroker, RedisConnections, RedisHistoryStore, RedisPresenceStore } from "switchboard";
import type { Broker, HistoryStore, PresenceStore } from "switchboard";

/** One implementation of the broker and presence extension points, as a contract test sees it (history: StreamFactory). */
export interface BackendFactory {
  name: string;
  broker(): Promise<Broker>;
  presence(node: string): PresenceStore;
}

export const memoryBackends: BackendFactory = {
  name: "memory",
  broker: async () => new MemoryBroker(),
  presence: () => new MemoryPresenceStore(),
};

/** Redis implementations, each with its own connections, on a private redis-server. */
export function redisBackends(url: () => string, sharded = false): BackendFactory {
  return {
    name: sharded ? "redis (sharded pub/sub)" : "redis",
    broker: async () => new RedisBroker(new RedisConnections({ url: url() }), { node: "contract", sharded }),
    presence: (node) => new RedisPresenceStore(new RedisConnections({ url: url() }), { node, nodeTtlMs: 1_000 }),
  };
}

/** One node's side of a room stream: the history store and the broker it publishes through. */
export interface StreamNode {
  history: HistoryStore;
  broker: Broker;
}

/** A way to run HistoryStore.publish, as a contract test sees it. */
export interface StreamFactory {
  name: string;
  /** `count` nodes on one backend, each a store and a broker (not started). */
  nodes(count: number): StreamNode[];
  /** Whether two nodes publishing to one room at once have their offsets delivered in order. */
  orderedAcrossNodes: boolean;
  /** Whether this node's subscribers have a publication before publish() returns. */
  deliversOnCallStack: boolean;
}

/** The reference: one process, so the "nodes" of one backend are one store and one broker. */
export const memoryStream: StreamFactory = {
  name: "memory",
  nodes: (count) => {
    const shared = { history: new MemoryHistoryStore(), broker: new MemoryBroker() };
    return Array.from({ length: count }, () => shared);
  },
  orderedAcrossNodes: true,
  deliversOnCallStack: true,
};

let streamBackends = 0;

/**
 * Redis: `paired` puts store and broker on the same connections (what createRedisBackends
 * does: append and publish in one script); unpaired, the store appends, then the broker publishes.
 */
export function redisStream(url: () => string, options: { sharded?: boolean; paired: boolean }): StreamFactory {
  const sharded = options.sharded === true;
  // Keys of their own: the factories share one redis-server and the same room names.
  const keyPrefix = `contract-${++streamBackends}:`;
  let nodes = 0;
  return {
    name: `redis${sharded ? " (sharded pub/sub)" : ""}, ${options.paired ? "store and broker on one connection" : "store and broker apart"}`,
    nodes: (count) =>
      Array.from({ length: count }, () => {
        const connections = new RedisConnections({ url: url(), keyPrefix });
        const history = new RedisHistoryStore(options.paired ? connections : new RedisConnections({ url: url(), keyPrefix }));
        return { history, broker: new RedisBroker(connections, { node: `contract-${++nodes}`, sharded }) };
      }),
    orderedAcrossNodes: options.paired,
    deliversOnCallStack: false,
  };
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

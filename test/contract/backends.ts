import { MemoryBroker, MemoryHistoryStore, MemoryPresenceStore, RedisBroker, RedisConnections, RedisHistoryStore, RedisPresenceStore } from "switchboard";
import type { Broker, HistoryStore, PresenceStore } from "switchboard";

/** One implementation of the three extension points, as a contract test sees it. */
export interface BackendFactory {
  name: string;
  broker(): Promise<Broker>;
  history(): HistoryStore;
  presence(node: string): PresenceStore;
}

export const memoryBackends: BackendFactory = {
  name: "memory",
  broker: async () => new MemoryBroker(),
  history: () => new MemoryHistoryStore(),
  presence: () => new MemoryPresenceStore(),
};

/** Redis implementations, each with its own connections, on a private redis-server. */
export function redisBackends(url: () => string, sharded = false): BackendFactory {
  return {
    name: sharded ? "redis (sharded pub/sub)" : "redis",
    broker: async () => new RedisBroker(new RedisConnections({ url: url() }), { node: "contract", sharded }),
    history: () => new RedisHistoryStore(new RedisConnections({ url: url() })),
    presence: (node) => new RedisPresenceStore(new RedisConnections({ url: url() }), { node, nodeTtlMs: 1_000 }),
  };
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

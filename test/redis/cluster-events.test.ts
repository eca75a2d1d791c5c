import { after, before, describe } from "node:test";
import { createRedisBackends } from "switchboard";
import { clusterSuite } from "../support/cluster-suite.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

describe("cluster events on a private redis-server", () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis.stop());

  // Each node gets its own Redis connections, as separate processes would.
  clusterSuite("RedisBroker", ([a, b]) => [createRedisBackends(redis.url, { nodeId: a }), createRedisBackends(redis.url, { nodeId: b })]);
});

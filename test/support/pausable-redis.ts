import { after, afterEach, before } from "node:test";
import type { TestClient } from "./client.js";
import { startRedisServer } from "./redis-server.js";
import type { PrivateRedis } from "./redis-server.js";
import type { TestServer } from "./server.js";

/** A private redis-server that tests may SIGSTOP, and the nodes and clients a test started on it. */
export interface PausableRedisStage {
  redis: PrivateRedis;
  nodes: TestServer[];
  clients: TestClient[];
}

/**
 * Registers the suite's hooks: one redis-server for the suite; after each test Redis is resumed
 * (a test may have left it stopped) before that test's clients and nodes are closed.
 */
export function pausableRedisStage(): PausableRedisStage {
  const stage: { redis?: PrivateRedis; nodes: TestServer[]; clients: TestClient[] } = { nodes: [], clients: [] };
  before(async () => {
    stage.redis = await startRedisServer();
  });
  afterEach(async () => {
    if (stage.redis?.pid !== undefined) process.kill(stage.redis.pid, "SIGCONT");
    await Promise.all(stage.clients.map((client) => client.close()));
    await Promise.all(stage.nodes.map((node) => node.close()));
    stage.clients = [];
    stage.nodes = [];
  });
  after(async () => {
    await stage.redis?.stop();
  });
  return stage as PausableRedisStage;
}

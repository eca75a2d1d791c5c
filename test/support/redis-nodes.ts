import { createRedisBackends } from "switchboard";
import type { RedisBackendOptions, SwitchboardOptions } from "switchboard";
import { startTestServer } from "./server.js";
import type { TestServer } from "./server.js";

/**
 * Starts `count` Switchboard nodes in this process, each with its own Redis
 * connections to `redisUrl`, as separate processes would have.
 */
export async function startRedisNodes(redisUrl: string, count: number, options: SwitchboardOptions = {}, redis: RedisBackendOptions = {}): Promise<TestServer[]> {
  const nodes: TestServer[] = [];
  for (let index = 0; index < count; index++) {
    const backends = createRedisBackends(redisUrl, { nodeId: `node-${index + 1}`, ...redis });
    nodes.push(await startTestServer({ ...backends, ...options }));
  }
  return nodes;
}

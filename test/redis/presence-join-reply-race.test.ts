import { after, before, describe, it } from "node:test";
import { raceJoinReplyAgainstFlicker, RACE_INTERVAL_MS } from "../support/presence-race.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";

describe("a join reply built while a connection on another node joins and leaves within one window (two nodes on Redis)", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 2, { presenceIntervalMs: RACE_INTERVAL_MS });
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it("leaves no ghost: the leave crosses the cluster, and every client's list equals the store", async () => {
    // The flicker and the marker share node 1's window (opened by the observer's join); the flapper opens node 2's.
    await raceJoinReplyAgainstFlicker(nodes, { flapper: 1, observer: 0, flicker: 0, joiner: 1, marker: 0 }, "race:two-nodes");
  });
});

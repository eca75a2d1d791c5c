import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadServerConfig } from "../../src/config/server-config.js";
import { connect } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

describe("Redis settings", () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.stop();
  });

  it("reads the Redis settings from the environment", () => {
    const config = loadServerConfig({ REDIS_URL: "redis://r:6379", SWITCHBOARD_REDIS_SHARDED: "true", SWITCHBOARD_REDIS_CLUSTER: "true", SWITCHBOARD_REDIS_KEY_PREFIX: "app1:", SWITCHBOARD_NODE_TTL_MS: "5000", SWITCHBOARD_WORKERS: "3" }, undefined);
    assert.equal(config.redisUrl, "redis://r:6379");
    assert.equal(config.redisSharded, true);
    assert.equal(config.redisCluster, true);
    assert.equal(config.redisKeyPrefix, "app1:");
    assert.equal(config.nodeTtlMs, 5000);
    assert.equal(config.workers, 3);
    assert.equal(loadServerConfig({ SWITCHBOARD_REDIS_URL: "redis://s:6379" }, undefined).redisUrl, "redis://s:6379");
  });

  it("names the setting when a value is wrong", () => {
    assert.throws(() => loadServerConfig({ SWITCHBOARD_REDIS_KEY_PREFIX: "a{b}" }, undefined), /SWITCHBOARD_REDIS_KEY_PREFIX.*braces/);
    assert.throws(() => loadServerConfig({ SWITCHBOARD_NODE_TTL_MS: "10" }, undefined), /SWITCHBOARD_NODE_TTL_MS/);
  });

  it("keeps deployments with different key prefixes apart on one Redis", async () => {
    const [first] = await startRedisNodes(redis.url, 1, {}, { keyPrefix: "first:" });
    const [second] = await startRedisNodes(redis.url, 1, {}, { keyPrefix: "second:" });
    try {
      const a = await connect(first!.url);
      const b = await connect(second!.url);
      await a.ok({ type: "join", room: "shared:name" });
      await b.ok({ type: "join", room: "shared:name" });
      await first!.sb.publish("shared:name", "only first");
      assert.equal((await a.nextOfType("message")).data, "only first");
      await b.expectNone((frame) => frame.type === "message", 150);
      assert.equal((await second!.sb.publish("shared:name", "x")).offset, 1);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await Promise.all([first!.close(), second!.close()]);
    }
  });
});

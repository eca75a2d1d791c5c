import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRedisBackends } from "switchboard";
import type { PresenceEntry } from "switchboard";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

describe("RedisPresenceStore.close", () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis.stop());

  it("announces the entries it still holds (through onExpired) before removing them, never silently", async () => {
    const closing = createRedisBackends(redis.url, { nodeId: "closing" });
    const other = createRedisBackends(redis.url, { nodeId: "other" });
    try {
      await closing.broker.start(() => undefined);
      await other.broker.start(() => undefined);
      const announced: Array<{ room: string; connectionId: string }> = [];
      closing.presence.onExpired?.(async (room: string, entry: PresenceEntry) => {
        // An announcement that takes a while: close() waits for it.
        await new Promise((resolve) => setTimeout(resolve, 20));
        announced.push({ room, connectionId: entry.connectionId });
      });
      await closing.presence.add("left:behind", { connectionId: "c1", userId: "ann", node: "closing" });
      await closing.presence.add("left:behind", { connectionId: "c2", userId: null, node: "closing" });
      assert.equal((await other.presence.members("left:behind")).length, 2);
      await closing.presence.close();
      assert.deepEqual(announced.sort((a, b) => a.connectionId.localeCompare(b.connectionId)), [
        { room: "left:behind", connectionId: "c1" },
        { room: "left:behind", connectionId: "c2" },
      ]);
      assert.deepEqual(await other.presence.members("left:behind"), []);
    } finally {
      await Promise.allSettled([closing.broker.close(), closing.history.close(), other.presence.close(), other.broker.close(), other.history.close()]);
    }
  });
});

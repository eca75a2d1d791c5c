import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RedisConnections, RedisPresenceStore } from "switchboard";
import type { PresenceEntry, PresenceStore } from "switchboard";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { memoryBackends, redisBackends, waitUntil } from "./backends.js";

let redis: PrivateRedis;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.stop();
});

for (const backends of [memoryBackends, redisBackends(() => redis.url)]) {
  describe(`PresenceStore contract: ${backends.name}`, () => {
    let store: PresenceStore;
    before(async () => {
      store = backends.presence("n1");
      // A Redis store's first commands wait for its connection.
      await waitUntil(async () => store.members("warmup").then(() => true, () => false), "the store to connect");
    });
    after(async () => {
      await store.close();
    });

    it("groups members by user and counts connections", async () => {
      await store.add("r1", { connectionId: "c1", userId: "alice", node: "n1" });
      await store.add("r1", { connectionId: "c2", userId: "alice", node: "n1" });
      await store.add("r1", { connectionId: "c3", userId: "bob", node: "n1" });
      await store.add("r1", { connectionId: "c4", userId: null, node: "n1" });
      const members = (await store.members("r1")).sort((a, b) => String(a.userId).localeCompare(String(b.userId)));
      assert.deepEqual(members, [
        { userId: "alice", connections: 2 },
        { userId: "bob", connections: 1 },
        { userId: null, connections: 1 },
      ]);
    });

    it("updates meta of present connections only", async () => {
      assert.equal(await store.update("r1", "c3", { status: "away" }), true);
      assert.deepEqual((await store.members("r1")).find((member) => member.userId === "bob")?.meta, { status: "away" });
      assert.equal(await store.update("r1", "c3", undefined), true);
      assert.equal((await store.members("r1")).find((member) => member.userId === "bob")?.meta, undefined);
      assert.equal(await store.update("r1", "missing", { status: "x" }), false);
    });

    it("removes entries and lists rooms with their connection counts", async () => {
      await store.add("r2", { connectionId: "c9", userId: "carol", node: "n1" });
      await store.remove("r1", "c4");
      await store.remove("r1", "c1");
      const rooms = (await store.rooms()).sort((a, b) => a.room.localeCompare(b.room));
      assert.deepEqual(rooms, [
        { room: "r1", connections: 2 },
        { room: "r2", connections: 1 },
      ]);
      await store.remove("r2", "c9");
      assert.deepEqual(await store.members("r2"), []);
      assert.deepEqual((await store.rooms()).map((row) => row.room), ["r1"]);
    });
  });
}

describe("RedisPresenceStore node expiry", () => {
  it("removes a silent node's entries and reports them to onExpired on another node", async () => {
    const crashed = new RedisConnections({ url: redis.url, keyPrefix: "expiry:" });
    const dying = new RedisPresenceStore(crashed, { node: "dying", nodeTtlMs: 300 });
    const survivor = new RedisPresenceStore(new RedisConnections({ url: redis.url, keyPrefix: "expiry:" }), { node: "survivor", nodeTtlMs: 300 });
    const expired: Array<[string, PresenceEntry]> = [];
    survivor.onExpired((room, entry) => expired.push([room, entry]));
    await waitUntil(async () => dying.members("x").then(() => true, () => false), "the store to connect");
    await dying.add("lobby", { connectionId: "d1", userId: "dan", node: "dying" });
    await waitUntil(async () => (await survivor.members("lobby").catch(() => [])).length === 1, "the entry to be visible");
    // A crash: the connection drops and heartbeats stop, nothing is cleaned up.
    crashed.commands.disconnect();
    crashed.subscriber.disconnect();
    await waitUntil(() => expired.length === 1, "the entry to expire");
    assert.deepEqual(expired, [["lobby", { connectionId: "d1", userId: "dan", node: "dying" }]]);
    assert.deepEqual(await survivor.members("lobby"), []);
    await Promise.all([dying.close(), survivor.close()]);
  });
});

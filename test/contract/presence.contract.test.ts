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

    it("counts connections and pages through every entry exactly once when nothing changes", async () => {
      for (let index = 0; index < 250; index++) await store.add("big", { connectionId: `b${index}`, userId: `u${index % 100}`, node: "n1" });
      assert.equal(await store.count("big"), 250);
      assert.equal(await store.count("nobody-here"), 0);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let round = 0; round < 100; round++) {
        const page = await store.page("big", cursor, 40);
        assert.ok(page.entries.length <= 40, "a page holds at most its limit");
        seen.push(...page.entries.map((entry) => entry.connectionId));
        if (page.cursor === null) break;
        cursor = page.cursor;
      }
      assert.equal(seen.length, 250);
      assert.equal(new Set(seen).size, 250);
      const first = await store.page("big", undefined, 5);
      assert.equal(first.entries.length, 5);
      assert.notEqual(first.cursor, null);
      assert.deepEqual(await store.page("nobody-here", undefined, 10), { entries: [], cursor: null });
      await assert.rejects(store.page("big", "not a cursor", 10), /cursor/);
    });

    it("pages return every entry that stays present while others come and go", async () => {
      for (let index = 0; index < 120; index++) await store.add("churn", { connectionId: `s${index}`, userId: null, node: "n1" });
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let round = 0; round < 100; round++) {
        const page = await store.page("churn", cursor, 25);
        for (const entry of page.entries) seen.add(entry.connectionId);
        // Churn between pages: newcomers and leavers of other connections.
        await store.add("churn", { connectionId: `n${round}`, userId: null, node: "n1" });
        await store.remove("churn", `n${round - 1}`);
        if (page.cursor === null) break;
        cursor = page.cursor;
      }
      for (let index = 0; index < 120; index++) assert.ok(seen.has(`s${index}`), `s${index} was returned`);
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

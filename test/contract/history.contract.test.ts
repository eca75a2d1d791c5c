import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HistoryStore } from "switchboard";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { memoryBackends, redisBackends } from "./backends.js";

let redis: PrivateRedis;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.stop();
});

const head = (room: string, data: unknown): string => `${JSON.stringify({ type: "message", room, data, ts: 1 }).slice(0, -1)},"offset":`;
const policy = { size: 5, ttlMs: 60_000 };

for (const backends of [memoryBackends, redisBackends(() => redis.url)]) {
  describe(`HistoryStore contract: ${backends.name}`, () => {
    let store: HistoryStore;
    before(() => {
      store = backends.history();
    });
    after(async () => {
      await store.close();
    });

    it("gives a new room offset 0 and a stable epoch", async () => {
      const first = await store.position("fresh");
      assert.equal(first.offset, 0);
      assert.equal((await store.position("fresh")).epoch, first.epoch);
    });

    it("assigns increasing offsets and seals them with the epoch into the frame", async () => {
      const position = await store.position("seq");
      for (let index = 1; index <= 3; index++) {
        const appended = await store.append("seq", head("seq", index), policy);
        assert.equal(appended.offset, index);
        assert.equal(appended.epoch, position.epoch);
        assert.deepEqual(JSON.parse(appended.frame), { type: "message", room: "seq", data: index, ts: 1, offset: index, epoch: position.epoch });
      }
      assert.deepEqual(await store.position("seq"), { offset: 3, epoch: position.epoch });
    });

    it("reads the newest messages without since, and the missed ones with it", async () => {
      for (let index = 1; index <= 7; index++) await store.append("read", head("read", index), policy);
      const { epoch } = await store.position("read");
      const latest = await store.read("read", undefined, 3);
      assert.deepEqual(latest.messages.map((message) => message.offset), [5, 6, 7]);
      assert.equal(latest.complete, true);
      const missed = await store.read("read", { offset: 4, epoch }, 10);
      assert.deepEqual(missed.messages.map((message) => message.offset), [5, 6, 7]);
      assert.equal(missed.complete, true);
      assert.equal(missed.offset, 7);
      const upToDate = await store.read("read", { offset: 7, epoch }, 10);
      assert.deepEqual(upToDate.messages, []);
      assert.equal(upToDate.complete, true);
    });

    it("reports incomplete for a trimmed gap, a short page, a foreign epoch and a future offset", async () => {
      const { epoch } = await store.position("read");
      const trimmed = await store.read("read", { offset: 1, epoch }, 10);
      assert.equal(trimmed.complete, false);
      const short = await store.read("read", { offset: 3, epoch }, 2);
      assert.deepEqual(short.messages.map((message) => message.offset), [4, 5]);
      assert.equal(short.complete, false);
      assert.equal((await store.read("read", { offset: 4, epoch: "other" }, 10)).complete, false);
      assert.equal((await store.read("read", { offset: 99, epoch }, 10)).complete, false);
    });

    it("advances offsets but keeps nothing with size 0", async () => {
      await store.append("none", head("none", 1), { size: 0, ttlMs: 60_000 });
      const second = await store.append("none", head("none", 2), { size: 0, ttlMs: 60_000 });
      assert.equal(second.offset, 2);
      assert.deepEqual((await store.read("none", undefined, 10)).messages, []);
      assert.equal((await store.read("none", { offset: 1, epoch: second.epoch }, 10)).complete, false);
    });

    it("forgets a room after its TTL and starts a new epoch", async () => {
      const first = await store.append("short", head("short", 1), { size: 5, ttlMs: 100 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const page = await store.read("short", { offset: 0, epoch: first.epoch }, 10);
      assert.equal(page.complete, false);
      assert.notEqual(page.epoch, first.epoch);
      assert.equal(page.offset, 0);
    });
  });
}

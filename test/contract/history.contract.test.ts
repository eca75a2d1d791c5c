import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrokerMessage, HistoryStore, StreamPublication } from "switchboard";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { memoryStream, redisStream, waitUntil } from "./backends.js";
import type { StreamFactory, StreamNode } from "./backends.js";

let redis: PrivateRedis;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.stop();
});

const head = (room: string, data: unknown): string => `${JSON.stringify({ type: "message", room, data, ts: 1 }).slice(0, -1)},"offset":`;
const policy = { size: 5, ttlMs: 60_000 };
const publication = (room: string, data: unknown, overrides: Partial<StreamPublication> = {}): StreamPublication => ({ head: head(room, data), policy, except: undefined, sentAt: 1_000.5, ...overrides });

type RoomMessage = Extract<BrokerMessage, { kind: "room" }>;

/** A started node recording the room messages its broker delivers, per room. */
interface Listening extends StreamNode {
  received: Map<string, RoomMessage[]>;
  listen(room: string): Promise<void>;
  close(): Promise<void>;
}

/** Per broker: nodes of the memory backend share one, which starts once. */
const receivedBy = new WeakMap<object, Map<string, RoomMessage[]>>();

async function listening(factory: StreamFactory, count: number): Promise<Listening[]> {
  const nodes: Listening[] = [];
  for (const node of factory.nodes(count)) {
    let received = receivedBy.get(node.broker);
    if (received === undefined) {
      const messages = new Map<string, RoomMessage[]>();
      receivedBy.set(node.broker, (received = messages));
      await node.broker.start((_topic, message) => {
        if (message.kind !== "room") return;
        let list = messages.get(message.room);
        if (list === undefined) messages.set(message.room, (list = []));
        list.push(message);
      });
    }
    nodes.push({
      ...node,
      received,
      listen: (room) => node.broker.subscribe(`room:${room}`),
      close: async () => {
        await Promise.all([node.broker.close(), node.history.close()]);
      },
    });
  }
  return nodes;
}

const factories = (): StreamFactory[] => [
  memoryStream,
  redisStream(() => redis.url, { paired: true }),
  redisStream(() => redis.url, { paired: true, sharded: true }),
  redisStream(() => redis.url, { paired: false }),
];

for (const factory of factories()) {
  describe(`HistoryStore contract: ${factory.name}`, () => {
    let node: Listening;
    let store: HistoryStore;
    before(async () => {
      [node] = (await listening(factory, 1)) as [Listening];
      store = node.history;
    });
    after(() => node.close());

    it("gives a new room offset 0 and a stable epoch", async () => {
      const first = await store.position("fresh");
      assert.equal(first.offset, 0);
      assert.equal((await store.position("fresh")).epoch, first.epoch);
    });

    it("publish assigns increasing offsets, seals them with the epoch into the frame and sends that frame", async () => {
      await node.listen("seq");
      const position = await store.position("seq");
      const published = [];
      for (let index = 1; index <= 3; index++) {
        const result = await store.publish("seq", publication("seq", index, index === 2 ? { except: "conn-2" } : {}), node.broker);
        assert.equal(result.offset, index);
        assert.equal(result.epoch, position.epoch);
        assert.deepEqual(JSON.parse(result.frame), { type: "message", room: "seq", data: index, ts: 1, offset: index, epoch: position.epoch });
        published.push(result);
      }
      assert.deepEqual(await store.position("seq"), { offset: 3, epoch: position.epoch });
      await waitUntil(() => (node.received.get("seq")?.length ?? 0) >= 3, "the three publications");
      assert.deepEqual(node.received.get("seq"), [
        { kind: "room", room: "seq", frame: published[0]!.frame, offset: 1, sentAt: 1_000.5 },
        { kind: "room", room: "seq", frame: published[1]!.frame, offset: 2, except: "conn-2", sentAt: 1_000.5 },
        { kind: "room", room: "seq", frame: published[2]!.frame, offset: 3, sentAt: 1_000.5 },
      ]);
    });

    it(factory.deliversOnCallStack ? "delivers to this node before publish returns" : "delivers after publish resolves, at the latest", async () => {
      await node.listen("stack");
      const publishing = store.publish("stack", publication("stack", "now"), node.broker);
      if (factory.deliversOnCallStack) assert.equal(node.received.get("stack")?.length, 1);
      const result = await publishing;
      await waitUntil(() => node.received.get("stack")?.length === 1, "the publication");
      assert.equal(node.received.get("stack")![0]!.offset, result.offset);
    });

    it("reads the newest messages without since, and the missed ones with it", async () => {
      for (let index = 1; index <= 7; index++) await store.publish("read", publication("read", index), node.broker);
      const { epoch } = await store.position("read");
      const latest = await store.read("read", undefined, 3);
      assert.deepEqual(latest.messages.map((message) => message.offset), [5, 6, 7]);
      assert.deepEqual(JSON.parse(latest.messages[2]!.frame), { type: "message", room: "read", data: 7, ts: 1, offset: 7, epoch });
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

    it("advances offsets and still sends, but keeps nothing with size 0", async () => {
      await node.listen("none");
      await store.publish("none", publication("none", 1, { policy: { size: 0, ttlMs: 60_000 } }), node.broker);
      const second = await store.publish("none", publication("none", 2, { policy: { size: 0, ttlMs: 60_000 } }), node.broker);
      assert.equal(second.offset, 2);
      assert.deepEqual((await store.read("none", undefined, 10)).messages, []);
      assert.equal((await store.read("none", { offset: 1, epoch: second.epoch }, 10)).complete, false);
      await waitUntil(() => node.received.get("none")?.length === 2, "both publications");
    });

    it("forgets a room after its TTL and starts a new epoch", async () => {
      const first = await store.publish("short", publication("short", 1, { policy: { size: 5, ttlMs: 100 } }), node.broker);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const page = await store.read("short", { offset: 0, epoch: first.epoch }, 10);
      assert.equal(page.complete, false);
      assert.notEqual(page.epoch, first.epoch);
      assert.equal(page.offset, 0);
    });

    it("keeps an occupied room's position past its TTL and lets it go once vacated (stores that track occupancy)", async (t) => {
      if (store.occupied === undefined || store.vacated === undefined) return t.skip("this store keeps history outside the process; occupancy does not apply");
      store.occupied("busy");
      const first = await store.publish("busy", publication("busy", 1, { policy: { size: 5, ttlMs: 100 } }), node.broker);
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual(await store.position("busy"), { offset: 1, epoch: first.epoch });
      store.vacated("busy");
      const after = await store.position("busy");
      assert.equal(after.offset, 0);
      assert.notEqual(after.epoch, first.epoch);
    });

    it("reports the bytes it holds in process memory, if it holds any", async (t) => {
      if (store.heldBytes === undefined) return t.skip("this store holds no messages in process memory");
      const before = store.heldBytes;
      await store.publish("held", publication("held", "x".repeat(1_000)), node.broker);
      assert.ok(store.heldBytes >= before + 1_000, `held ${store.heldBytes} bytes, ${before} before a 1,000-byte message`);
    });

    it("rejects a publication the broker cannot send, and the message stays in history", async () => {
      const [other] = (await listening(factory, 1)) as [Listening];
      await other.broker.close();
      await assert.rejects(other.history.publish("refused", publication("refused", 1), other.broker));
      assert.equal((await other.history.position("refused")).offset, 1);
      await other.history.close();
    });
  });

  describe(`HistoryStore contract, two nodes publishing to one room: ${factory.name}`, () => {
    let nodes: Listening[];
    before(async () => {
      nodes = await listening(factory, 2);
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
    });

    it(factory.orderedAcrossNodes ? "numbers every publication once and delivers them in offset order on both nodes" : "numbers every publication once", async () => {
      const room = "shared";
      await Promise.all(nodes.map((node) => node.listen(room)));
      const perNode = 40;
      const results = await Promise.all(nodes.flatMap((node, index) => Array.from({ length: perNode }, (_, sequence) => node.history.publish(room, publication(room, `${index}:${sequence}`), node.broker))));
      const total = nodes.length * perNode;
      assert.deepEqual(results.map((result) => result.offset).sort((a, b) => a - b), Array.from({ length: total }, (_, index) => index + 1));
      for (const node of nodes) {
        // Memory "nodes" share one store and one broker: both listen on the same subscriber.
        await waitUntil(() => (node.received.get(room)?.length ?? 0) >= total, "every publication");
        const offsets = node.received.get(room)!.slice(0, total).map((message) => message.offset!);
        if (factory.orderedAcrossNodes) assert.deepEqual(offsets, Array.from({ length: total }, (_, index) => index + 1));
        else assert.deepEqual([...offsets].sort((a, b) => a - b), Array.from({ length: total }, (_, index) => index + 1));
      }
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { PresenceSnapshot } from "switchboard";
import { connect } from "../support/client.js";
import { diffOf, presenceWith, presentWith } from "../support/presence.js";
import type { TestClient } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";

describe("two nodes on Redis", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  const clients: TestClient[] = [];

  async function as(node: TestServer, user: string): Promise<TestClient> {
    const client = await connect(`${node.url}?token=${await mintToken({ sub: user }, { expiresIn: "1h" })}`);
    clients.push(client);
    return client;
  }

  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 2, { auth: { jwt: { secret: TEST_SECRET } } });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it("reports each node and a healthy Redis broker", async () => {
    const [a, b] = [await as(nodes[0]!, "u1"), await as(nodes[1]!, "u2")];
    assert.equal((a.welcome!.data as { node: string }).node, "node-1");
    assert.equal((b.welcome!.data as { node: string }).node, "node-2");
    for (const node of nodes) assert.equal(node.sb.broker.health().ok, true);
    assert.equal(nodes[0]!.sb.broker.name, "redis");
  });

  it("delivers a client publish to members on the other node, with one offset sequence", async () => {
    const alice = await as(nodes[0]!, "alice");
    const bob = await as(nodes[1]!, "bob");
    await alice.ok({ type: "join", room: "chat:x" });
    await bob.ok({ type: "join", room: "chat:x" });
    const first = await alice.ok({ type: "publish", room: "chat:x", data: { text: "hi" } });
    const second = await bob.ok({ type: "publish", room: "chat:x", data: { text: "hello" } });
    assert.equal(first.offset, 1);
    assert.equal(second.offset, 2);
    assert.equal(first.epoch, second.epoch);
    const atBob = await bob.next((frame) => frame.type === "message" && frame.offset === 1);
    assert.deepEqual(atBob.data, { text: "hi" });
    const atAlice = await alice.next((frame) => frame.type === "message" && frame.offset === 2);
    assert.deepEqual(atAlice.from, { userId: "bob", connectionId: bob.connectionId });
  });

  it("delivers server API broadcasts to rooms, users and everyone across nodes", async () => {
    const carol1 = await as(nodes[0]!, "carol");
    const carol2 = await as(nodes[1]!, "carol");
    const dave = await as(nodes[1]!, "dave");
    await dave.ok({ type: "join", room: "game:1" });
    await nodes[0]!.sb.to("game:1").emit("round", { n: 1 });
    assert.deepEqual((await dave.nextOfType("round")).data, { n: 1 });
    await nodes[1]!.sb.toUser("carol").emit("match_found", { id: "m1" });
    await carol1.nextOfType("match_found");
    await carol2.nextOfType("match_found");
    await dave.expectNone((frame) => frame.type === "match_found", 100);
    await nodes[0]!.sb.toConnection(dave.connectionId).emit("direct", 1);
    await dave.nextOfType("direct");
    await nodes[1]!.sb.toAll().emit("maintenance", {});
    await Promise.all([carol1, carol2, dave].map((client) => client.nextOfType("maintenance")));
  });

  it("answers presence with members of every node", async () => {
    const erin = await as(nodes[0]!, "erin");
    const frank = await as(nodes[1]!, "frank");
    await erin.ok({ type: "join", room: "lobby:p" });
    const joined = await frank.ok({ type: "join", room: "lobby:p" });
    const users = (joined.presence as PresenceSnapshot).entries!.map((member) => member.userId).sort();
    assert.deepEqual(users, ["erin", "frank"]);
    const event = await erin.next(presenceWith("joined", frank.connectionId, "lobby:p"));
    assert.equal(diffOf(event).joined!.find((entry) => entry.connectionId === frank.connectionId)!.userId, "frank");
    await frank.close();
    const leave = await erin.next(presenceWith("left", frank.connectionId, "lobby:p"));
    assert.deepEqual(diffOf(leave), { count: 1, left: [{ connectionId: frank.connectionId, userId: "frank" }] });
    const members = await nodes[1]!.sb.presence("lobby:p");
    assert.deepEqual(members.map((member) => member.userId), ["erin"]);
  });

  it("carries presence meta (a typing indicator with a TTL) to members on every node", async () => {
    const ivy = await as(nodes[0]!, "ivy");
    const jack = await as(nodes[1]!, "jack");
    await ivy.ok({ type: "join", room: "chat:typing" });
    await jack.ok({ type: "join", room: "chat:typing" });
    assert.deepEqual(await jack.ok({ type: "presence", room: "chat:typing", meta: { typing: true }, ttlMs: 300 }), { room: "chat:typing", meta: { typing: true } });
    // Coalesced: the meta arrives as an update, or with the join when both fell in one window.
    await ivy.next(presentWith(jack.connectionId, (entry) => entry.userId === "jack" && (entry.meta as { typing?: boolean } | undefined)?.typing === true, "chat:typing"));
    const members = (await ivy.ok({ type: "presence", room: "chat:typing" })).members as Array<{ userId: string; meta?: unknown }>;
    assert.deepEqual(members.find((member) => member.userId === "jack")?.meta, { typing: true });
    const cleared = await ivy.next(presenceWith("updated", jack.connectionId, "chat:typing"), 5_000);
    assert.deepEqual(diffOf(cleared).updated, [{ userId: "jack", connectionId: jack.connectionId }]);
    const refused = await ivy.request({ type: "presence", room: "chat:other", meta: { typing: true } });
    assert.equal((refused.error as { code: string }).code, "not_found");
    const bad = await ivy.request({ type: "presence", room: "chat:typing", meta: [1] });
    assert.equal((bad.error as { code: string }).code, "bad_request");
  });

  it("subscribes a node to a room's channel only while it has local members there", async () => {
    const admin = new Redis(redis.url);
    const subscribers = async (): Promise<number> => {
      const reply = (await admin.pubsub("NUMSUB", "switchboard:{room:count:me}")) as [string, number];
      return Number(reply[1]);
    };
    try {
      const kim = await as(nodes[0]!, "kim");
      const kim2 = await as(nodes[0]!, "kim");
      assert.equal(await subscribers(), 0);
      await kim.ok({ type: "join", room: "count:me" });
      await kim2.ok({ type: "join", room: "count:me" });
      assert.equal(await subscribers(), 1);
      const lee = await as(nodes[1]!, "lee");
      await lee.ok({ type: "join", room: "count:me" });
      assert.equal(await subscribers(), 2);
      await kim.ok({ type: "leave", room: "count:me" });
      assert.equal(await subscribers(), 2);
      await kim2.ok({ type: "leave", room: "count:me" });
      await lee.ok({ type: "leave", room: "count:me" });
      // Unsubscribing is not awaited by leave; poll briefly (bounded).
      for (let attempt = 0; attempt < 100 && (await subscribers()) !== 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(await subscribers(), 0);
    } finally {
      admin.disconnect();
    }
  });

  it("disconnects a user on whichever node holds the connection", async () => {
    const gina = await as(nodes[1]!, "gina");
    await nodes[0]!.sb.disconnect({ userId: "gina", reason: "banned" });
    const closed = await gina.closed;
    assert.equal(closed.reason, "banned");
  });

  it("recovers missed messages on the other node with since", async () => {
    const hal = await as(nodes[0]!, "hal");
    const joined = await hal.ok({ type: "join", room: "feed:r" });
    await hal.close();
    for (let index = 0; index < 5; index++) await nodes[0]!.sb.publish("feed:r", { index });
    const again = await as(nodes[1]!, "hal");
    const rejoined = await again.ok({ type: "join", room: "feed:r", since: { offset: joined.offset, epoch: joined.epoch } });
    assert.equal(rejoined.recovered, true);
    for (let index = 0; index < 5; index++) {
      const message = await again.nextOfType("message");
      assert.equal(message.offset, (joined.offset as number) + index + 1);
      assert.deepEqual(message.data, { index });
    }
  });
  it("shuts a node down cleanly while another keeps publishing: leaves at once, its subscriptions gone", async () => {
    const watcher = await as(nodes[0]!, "watcher");
    const leaving = await as(nodes[1]!, "leaving");
    await watcher.ok({ type: "join", room: "busy:room" });
    await leaving.ok({ type: "join", room: "busy:room" });
    let publishing = true;
    const loop = (async () => {
      for (let index = 0; index < 500 && publishing; index++) {
        await nodes[0]!.sb.publish("busy:room", index);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await leaving.nextOfType("message");
    await nodes[1]!.sb.close();
    assert.equal((await leaving.closed).code, 1001);
    assert.deepEqual(nodes[1]!.sb.broker.health(), { ok: false, detail: "closed" });
    // The graceful leave is immediate: no waiting for the node TTL.
    const members = await nodes[0]!.sb.presence("busy:room");
    assert.deepEqual(members.map((member) => member.userId), ["watcher"]);
    // The closed node's Redis connections are gone: only node 1 still receives the room.
    const admin = new Redis(redis.url);
    const [, subscribers] = (await admin.pubsub("NUMSUB", "switchboard:{room:busy:room}")) as [string, number];
    admin.disconnect();
    assert.equal(Number(subscribers), 1);
    publishing = false;
    await loop;
    assert.equal(nodes[1]!.sb.stats().connections, 0);
  });
});

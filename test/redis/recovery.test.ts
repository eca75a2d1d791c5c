import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { connect } from "../support/client.js";
import { freePort } from "../support/process.js";
import type { Frame, TestClient } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";

const rooms = [{ match: "exact:*", history: { size: 1_000, ttlMs: 60_000 } }];

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("history and recovery across nodes", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  const clients: TestClient[] = [];

  async function open(node: TestServer): Promise<TestClient> {
    const client = await connect(node.url);
    clients.push(client);
    return client;
  }

  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 3, { rooms });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it("replays every missed offset once and in order while two nodes keep publishing", async () => {
    const room = "exact:concurrent";
    const first = await open(nodes[2]!);
    const position = await first.ok({ type: "join", room });
    await first.close();
    const perPublisher = 150;
    let published = 0;
    const publisher = async (node: TestServer, name: string): Promise<void> => {
      for (let index = 0; index < perPublisher; index++) {
        await node.sb.publish(room, { name, index });
        published++;
      }
    };
    const publishing = Promise.all([publisher(nodes[0]!, "a"), publisher(nodes[1]!, "b")]);
    await until(() => published >= 60, "the first publications");
    const late = await open(nodes[2]!);
    const rejoined = await late.ok({ type: "join", room, since: { offset: position.offset, epoch: position.epoch } });
    assert.equal(rejoined.recovered, true);
    await publishing;
    const total = perPublisher * 2;
    const offsets: number[] = [];
    const seen = { a: -1, b: -1 } as Record<string, number>;
    while (offsets.length < total) {
      const message: Frame = await late.nextOfType("message", 5_000);
      offsets.push(message.offset as number);
      const data = message.data as { name: string; index: number };
      // Each publisher's messages arrive in its own publish order too.
      assert.equal(data.index, seen[data.name]! + 1);
      seen[data.name] = data.index;
    }
    assert.deepEqual(offsets, Array.from({ length: total }, (_, index) => index + 1));
    await late.expectNone((frame) => frame.type === "message", 200);
  });

  it("starts a new epoch after Redis loses the room, and says the gap cannot be filled", async () => {
    const room = "exact:flushed";
    const before = await nodes[0]!.sb.publish(room, "before");
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    const afterFlush = await nodes[1]!.sb.publish(room, "after");
    assert.notEqual(afterFlush.epoch, before.epoch);
    assert.equal(afterFlush.offset, 1);
    const client = await open(nodes[2]!);
    const joined = await client.ok({ type: "join", room, since: { offset: before.offset, epoch: before.epoch } });
    assert.equal(joined.recovered, false);
    assert.equal(joined.epoch, afterFlush.epoch);
  });

  it("keeps connections through a Redis restart, answers unavailable meanwhile, and resubscribes", async () => {
    const room = "exact:outage";
    const sender = await open(nodes[0]!);
    const receiver = await open(nodes[1]!);
    await sender.ok({ type: "join", room });
    await receiver.ok({ type: "join", room });
    await sender.ok({ type: "publish", room, data: "up" });
    assert.equal((await receiver.nextOfType("message")).data, "up");

    await redis.stop();
    await until(() => nodes.every((node) => !node.sb.broker.health().ok), "every node to report Redis down");
    const refused = await sender.request({ type: "publish", room, data: "down" });
    assert.equal(refused.ok, false);
    assert.equal((refused.error as { code: string }).code, "unavailable");
    await assert.rejects(nodes[2]!.sb.publish(room, "down"), { code: "unavailable" });
    await assert.rejects(nodes[2]!.sb.toAll().emit("notice", {}), { code: "unavailable" });

    await redis.restart();
    await until(() => nodes.every((node) => node.sb.broker.health().ok), "every node to reconnect and resubscribe");
    await sender.ok({ type: "publish", room, data: "back" });
    assert.equal((await receiver.nextOfType("message")).data, "back");
    // Redis came back empty: the nodes write back the presence they own.
    let members = 0;
    await until(() => {
      nodes[2]!.sb.presence(room).then((list) => (members = list.length), () => undefined);
      return members === 2;
    }, "presence to be restored");
  });
});

describe("a Redis restart with persistence", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  let directory: string;
  const clients: TestClient[] = [];

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "switchboard-redis-"));
    redis = await startRedisServer(["--dir", directory, "--appendonly", "yes", "--appendfsync", "always"]);
    nodes = await startRedisNodes(redis.url, 2, { rooms });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("loses no message that history covers: a client rejoining with since gets all of them", async () => {
    const room = "exact:persisted";
    const client = await connect(nodes[0]!.url);
    clients.push(client);
    const position = await client.ok({ type: "join", room });
    await client.close();
    for (let index = 0; index < 20; index++) await nodes[1]!.sb.publish(room, index);
    await redis.restart();
    await until(() => nodes.every((node) => node.sb.broker.health().ok), "every node to reconnect");
    for (let index = 20; index < 25; index++) await nodes[1]!.sb.publish(room, index);
    const again = await connect(nodes[0]!.url);
    clients.push(again);
    const rejoined = await again.ok({ type: "join", room, since: { offset: position.offset, epoch: position.epoch } });
    assert.equal(rejoined.recovered, true);
    for (let index = 0; index < 25; index++) assert.equal((await again.nextOfType("message")).data, index);
  });
});

describe("presence through a Redis outage, with persistence", () => {
  it("removes the entry of a connection that closed while Redis was away", async () => {
    const directory = mkdtempSync(join(tmpdir(), "switchboard-redis-"));
    const redis = await startRedisServer(["--dir", directory, "--appendonly", "yes", "--appendfsync", "always"]);
    const nodes = await startRedisNodes(redis.url, 2);
    try {
      const stays = await connect(nodes[0]!.url);
      const goes = await connect(nodes[1]!.url);
      await stays.ok({ type: "join", room: "lobby:outage" });
      await goes.ok({ type: "join", room: "lobby:outage" });
      await redis.stop();
      await until(() => nodes.every((node) => !node.sb.broker.health().ok), "Redis to be down");
      await goes.close();
      await redis.restart();
      await until(() => nodes.every((node) => node.sb.broker.health().ok), "Redis to be back");
      let members = -1;
      await until(() => {
        nodes[0]!.sb.presence("lobby:outage").then((list) => (members = list.length), () => undefined);
        return members === 1;
      }, "the closed connection's entry to go");
      await stays.close();
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await redis.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("Redis killed and restarted mid-traffic, with persistence", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  let directory: string;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "switchboard-redis-"));
    redis = await startRedisServer(["--dir", directory, "--appendonly", "yes", "--appendfsync", "always"]);
    nodes = await startRedisNodes(redis.url, 2, { rooms });
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("resubscribes by itself and every acknowledged publication is recoverable", async () => {
    const room = "exact:midtraffic";
    const live = await connect(nodes[1]!.url);
    const start = await live.ok({ type: "join", room });
    const acknowledged: number[] = [];
    let stop = false;
    const publishing = (async () => {
      // Bounded: at most 2,000 attempts, stopped early once Redis is back and traffic resumed.
      for (let attempt = 0; attempt < 2_000 && !stop; attempt++) {
        try {
          acknowledged.push((await nodes[0]!.sb.publish(room, attempt)).offset!);
        } catch (error) {
          // While Redis is away a publish is refused, never silently dropped.
          assert.equal((error as { code: string }).code, "unavailable");
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await until(() => acknowledged.length >= 20, "traffic before the crash");
    await redis.restart();
    await until(() => nodes.every((node) => node.sb.broker.health().ok), "every node to reconnect and resubscribe");
    const resumedAt = acknowledged.length;
    await until(() => acknowledged.length >= resumedAt + 20, "traffic after the restart");
    stop = true;
    await publishing;
    const last = acknowledged[acknowledged.length - 1]!;
    // Live delivery resumed on the other node without anyone rejoining.
    await live.next((frame) => frame.type === "message" && frame.offset === last, 5_000);
    await live.close();
    // A client rejoining with the old position gets every offset, each once, in order.
    const late = await connect(nodes[1]!.url);
    const joined = await late.ok({ type: "join", room, since: { offset: start.offset, epoch: start.epoch } });
    assert.equal(joined.recovered, true);
    const offsets: number[] = [];
    while (offsets.length < (joined.offset as number)) offsets.push((await late.nextOfType("message")).offset as number);
    assert.deepEqual(offsets, Array.from({ length: joined.offset as number }, (_, index) => index + 1));
    for (const offset of acknowledged) assert.ok(offsets.includes(offset));
    assert.ok(joined.offset as number >= last);
    await late.close();
  });
});

describe("a node started while Redis is down", () => {
  it("serves local connections, answers unavailable, and connects on its own once Redis is up", async () => {
    const port = await freePort();
    const [node] = await startRedisNodes(`redis://127.0.0.1:${port}`, 1, {}, { startTimeoutMs: 200 });
    let redis: PrivateRedis | undefined;
    try {
      assert.equal(node!.sb.broker.health().ok, false);
      assert.match(node!.sb.broker.health().detail ?? "", /127\.0\.0\.1/);
      const client = await connect(node!.url);
      const refused = await client.request({ type: "join", room: "late:room" });
      assert.equal((refused.error as { code: string }).code, "unavailable");
      redis = await startRedisServer([], port);
      await until(() => node!.sb.broker.health().ok, "the node to connect");
      await client.ok({ type: "join", room: "late:room" });
      await client.ok({ type: "publish", room: "late:room", data: 2 });
      assert.equal((await client.nextOfType("message")).data, 2);
      await client.close();
    } finally {
      await node!.close();
      await redis?.stop();
    }
  });
});

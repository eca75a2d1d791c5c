import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { startRedisCluster } from "../support/redis-cluster.js";
import type { PrivateRedisCluster } from "../support/redis-cluster.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import type { TestServer } from "../support/server.js";

describe("sharded pub/sub on a 3-master Redis Cluster", () => {
  let cluster: PrivateRedisCluster;
  let nodes: TestServer[];
  const clients: TestClient[] = [];

  async function open(node: TestServer): Promise<TestClient> {
    const client = await connect(node.url);
    clients.push(client);
    return client;
  }

  before(async () => {
    cluster = await startRedisCluster(3);
    nodes = await startRedisNodes(cluster.url, 2, {}, { cluster: true, sharded: true });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await cluster.stop();
  });

  it("uses the sharded broker and reports it healthy", () => {
    for (const node of nodes) {
      assert.equal(node.sb.broker.name, "redis-sharded");
      assert.equal(node.sb.broker.health().ok, true, node.sb.broker.health().detail);
    }
  });

  it("delivers rooms spread over every shard across nodes, with history and recovery", async () => {
    // These 12 names hash to slots on all three masters (checked with CRC16: 6, 2 and 4 rooms).
    const rooms = Array.from({ length: 12 }, (_, index) => `shard:${index}`);
    const reader = await open(nodes[1]!);
    const writer = await open(nodes[0]!);
    const positions = new Map<string, Record<string, unknown>>();
    for (const room of rooms) {
      positions.set(room, await reader.ok({ type: "join", room }));
      await writer.ok({ type: "join", room });
    }
    for (const room of rooms) await writer.ok({ type: "publish", room, data: room });
    for (const room of rooms) {
      const message = await reader.next((frame) => frame.type === "message" && frame.room === room);
      assert.equal(message.data, room);
      assert.equal(message.offset, 1);
    }
    const late = await open(nodes[0]!);
    for (const room of rooms) {
      const position = positions.get(room)!;
      const joined = await late.ok({ type: "join", room, since: { offset: position.offset, epoch: position.epoch } });
      assert.equal(joined.recovered, true);
      assert.equal((await late.next((frame) => frame.type === "message" && frame.room === room)).data, room);
    }
    const members = await nodes[1]!.sb.presence(rooms[0]!);
    assert.equal(members.length, 3);
  });

  it("delivers user-targeted events and disconnects across nodes", async () => {
    const target = await open(nodes[1]!);
    await nodes[0]!.sb.toConnection(target.connectionId).emit("ping_you", 1);
    await target.nextOfType("ping_you");
    await nodes[0]!.sb.disconnect({ connectionId: target.connectionId, reason: "bye" });
    assert.equal((await target.closed).reason, "bye");
  });
});

import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { encodeEnvelope } from "../../src/redis/redis-envelope.js";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";

const BURST = 20;

/**
 * The TCP chunks of a client's socket that carry message frames (ws's socket under the
 * WebSocket): on loopback, frames the server wrote in one writev arrive as one chunk.
 * Presence frames of the joins may come in chunks of their own; they are not counted.
 */
function messageChunks(client: TestClient): Buffer[] {
  const chunks: Buffer[] = [];
  (client.ws as unknown as { _socket: Socket })._socket.on("data", (chunk: Buffer) => {
    if (chunk.includes('"type":"message"')) chunks.push(chunk);
  });
  return chunks;
}

/** Reads Redis has processed so far, on all its connections (this INFO's own included). */
async function redisReads(client: Redis): Promise<number> {
  return Number(/total_reads_processed:(\d+)/.exec(await client.info("stats"))?.[1]);
}

async function receiveBurst(member: TestClient, room: string): Promise<void> {
  for (let index = 0; index < BURST; index++) {
    const frame = await member.next((candidate) => candidate.type === "message" && candidate.room === room);
    assert.deepEqual(frame.data, { index }, "in publication order");
  }
}

describe("bursts of publications through Redis", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  let outsider: Redis;
  const clients: TestClient[] = [];

  async function member(node: TestServer, room: string): Promise<TestClient> {
    const client = await connect(node.url);
    clients.push(client);
    await client.ok({ type: "join", room });
    return client;
  }

  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 2);
    outsider = new Redis(redis.url);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    outsider.disconnect();
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it("messages that arrive in one read from Redis reach each member's socket in one write, in order", async () => {
    const room = "burst:read";
    const members = [await member(nodes[0]!, room), await member(nodes[0]!, room), await member(nodes[0]!, room)];
    const chunks = members.map(messageChunks);
    // One pipeline is one write to Redis: Redis runs it in one pass and writes the node's subscriber all of it at once.
    const pipeline = outsider.pipeline();
    for (let index = 0; index < BURST; index++) {
      const frame = JSON.stringify({ type: "message", room, data: { index }, ts: Date.now() });
      pipeline.publish(`switchboard:{room:${room}}`, encodeEnvelope("elsewhere", { kind: "room", room, frame, sentAt: Date.now() }));
    }
    await pipeline.exec();
    for (const [index, client] of members.entries()) {
      await receiveBurst(client, room);
      assert.equal(chunks[index]!.length, 1, `member ${index}: ${BURST} messages in ${chunks[index]!.length} writes`);
    }
  });

  it("publications a node receives in one turn reach the other node's members in one write, in order", async () => {
    const room = "burst:publish";
    const publisher = await member(nodes[0]!, room);
    const local = await member(nodes[0]!, room);
    const remote = [await member(nodes[1]!, room), await member(nodes[1]!, room)];
    const chunks = [local, ...remote].map(messageChunks);
    // The publisher's frames leave in one write, so the node reads them in one turn.
    const socket = (publisher.ws as unknown as { _socket: Socket })._socket;
    const readsBefore = await redisReads(outsider);
    socket.cork();
    for (let index = 0; index < BURST; index++) publisher.send({ type: "publish", room, data: { index } });
    socket.uncork();
    for (const [index, client] of [local, ...remote].entries()) {
      await receiveBurst(client, room);
      assert.equal(chunks[index]!.length, 1, `member ${index}: ${BURST} messages in ${chunks[index]!.length} writes`);
    }
    // The node's 20 scripts (append, then publish) reached Redis in one write: one read there, and one for each INFO.
    const reads = (await redisReads(outsider)) - readsBefore;
    assert.ok(reads <= 3, `Redis read the burst's ${BURST} publications in ${reads - 1} reads`);
  });
});

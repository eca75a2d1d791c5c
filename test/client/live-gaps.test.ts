import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { connect } from "switchboard/client";
import type { RoomMessage, SwitchboardClient } from "switchboard/client";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";
import { FAST_RECONNECT } from "./support.js";

const rooms = [{ match: "live:*", history: { size: 1_000, ttlMs: 60_000 } }];

interface Acked {
  index: number;
  offset: number;
  epoch: string;
}

/** Issue 16, finding 3: a gap on a live connection is recovered with `since` or announced with `reset`, never hidden. */
describe("gaps on a live connection", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  const clients: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 2, { rooms });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  /** Publishes `count` messages from node 1, one at a time, skipping (not counting) the ones Redis refuses. */
  async function publish(room: string, from: number, count: number, acked: Acked[]): Promise<void> {
    for (let index = from; index < from + count; ) {
      try {
        const result = await nodes[0]!.sb.publish(room, { index });
        acked.push({ index, offset: result.offset!, epoch: result.epoch! });
        index++;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  it("keeps receiving after Redis restarts empty under traffic: reset with the new epoch, then every acknowledged message", async () => {
    const room = "live:restart";
    const client = connect(nodes[1]!.url, { reconnect: FAST_RECONNECT });
    clients.push(client);
    const joined = await client.join(room);
    const received: RoomMessage[] = [];
    const resets: Array<{ offset: number; epoch: string }> = [];
    joined.on("message", (_data, frame) => received.push(frame));
    joined.on("reset", (info) => resets.push(info));
    const acked: Acked[] = [];
    await publish(room, 0, 20, acked);
    await waitFor(() => received.length === 20, "the messages before the restart", 10_000);
    const oldEpoch = acked[0]!.epoch;

    const restarting = redis.restart();
    await publish(room, 20, 60, acked);
    await restarting;
    const afterRestart = acked.filter((message) => message.epoch !== oldEpoch);
    assert.ok(afterRestart.length > 0, "publications went on in a new epoch");
    const newEpoch = afterRestart[0]!.epoch;
    const wanted = afterRestart.map((message) => message.index);
    const indexes = (): number[] => received.filter((frame) => frame.epoch === newEpoch).map((frame) => (frame.data as { index: number }).index);
    await waitFor(() => indexes().length >= wanted.length, "every message acknowledged in the new epoch", 15_000);
    assert.deepEqual(indexes(), wanted, "each acknowledged message of the new epoch once, in order");
    assert.ok(
      resets.some((reset) => reset.epoch === newEpoch),
      `a reset announced the new epoch; resets: ${JSON.stringify(resets)}`,
    );
    assert.equal(joined.epoch, newEpoch);
    // Still live afterwards.
    await publish(room, 1_000, 1, acked);
    await waitFor(() => received.some((frame) => (frame.data as { index: number }).index === 1_000), "a message after the recovery", 10_000);
  });

  it("reads a skipped offset back with since when its node's subscription dropped, and says so with recovered", async () => {
    const room = "live:skipped";
    const client = connect(nodes[1]!.url, { reconnect: FAST_RECONNECT });
    clients.push(client);
    const joined = await client.join(room);
    const received: number[] = [];
    const recoveries: Array<{ missed: number }> = [];
    const resets: unknown[] = [];
    joined.on("message", (data) => received.push((data as { index: number }).index));
    joined.on("recovered", (info) => recoveries.push(info));
    joined.on("reset", (info) => resets.push(info));
    const acked: Acked[] = [];
    await publish(room, 0, 5, acked);
    await waitFor(() => received.length === 5, "the first messages", 10_000);
    // Drop every pub/sub connection: the nodes resubscribe, and what was published meanwhile reaches node 2 only through history.
    const admin = new Redis(redis.url);
    await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    await publish(room, 5, 10, acked);
    admin.disconnect();
    await waitFor(() => nodes.every((node) => node.sb.broker.health().ok), "both nodes to resubscribe", 10_000);
    await publish(room, 15, 5, acked);
    await waitFor(() => received.length >= 20, "every message", 10_000);
    assert.deepEqual(received, Array.from({ length: 20 }, (_, index) => index), "every message once, in order");
    assert.deepEqual(resets, []);
    assert.ok(recoveries.length > 0 && recoveries.every((info) => info.missed > 0), `the gap was read back from history: ${JSON.stringify(recoveries)}`);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "switchboard/client";
import type { RoomMessage, SwitchboardClient } from "switchboard/client";
import { startServerProcess } from "../support/process.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { waitFor } from "../support/wait.js";
import { FAST_RECONNECT, StateLog } from "./support.js";

describe("client recovery of missed messages", () => {
  let redis: PrivateRedis;
  let nodeA: ServerProcess;
  let nodeB: ServerProcess;
  const processes: ServerProcess[] = [];
  const clients: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    const env = { SWITCHBOARD_REDIS_URL: redis.url };
    [nodeA, nodeB] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    processes.push(nodeA, nodeB);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(processes.map((server) => server.stop("SIGKILL")));
    await redis.stop();
  });

  it("delivers what was published while its node was down, exactly once and in order, before live messages", async () => {
    const roomName = "chat:recovery";
    const reader = connect(nodeA.url, { reconnect: FAST_RECONNECT });
    const writer = connect(nodeB.url, { reconnect: FAST_RECONNECT });
    clients.push(reader, writer);
    const log = new StateLog(reader);
    const readerRoom = await reader.join(roomName);
    const writerRoom = await writer.join(roomName);

    // What the application sees, in the order it sees it.
    const seen: Array<{ kind: "message"; offset: number; index: number } | { kind: "recovered"; missed: number } | { kind: "reset" }> = [];
    readerRoom.on("message", (data, frame: RoomMessage) => seen.push({ kind: "message", offset: frame.offset!, index: (data as { index: number }).index }));
    readerRoom.on("recovered", ({ missed }) => seen.push({ kind: "recovered", missed }));
    readerRoom.on("reset", () => seen.push({ kind: "reset" }));

    let index = 0;
    const publish = async (count: number): Promise<void> => {
      for (let sent = 0; sent < count; sent++) await writerRoom.publish({ index: index++ });
    };
    await publish(5);
    await waitFor(() => seen.length === 5, "the first five messages", 10_000);

    // The reader's node dies; the room lives on in Redis and on node B.
    await nodeA.stop("SIGKILL");
    const reconnecting = await log.wait("reconnecting");
    await publish(40);
    const restarted = await startServerProcess({ SWITCHBOARD_REDIS_URL: redis.url }, nodeA.port);
    processes.push(restarted);
    await log.wait("connected", reconnecting.index);
    await waitFor(() => seen.some((entry) => entry.kind === "recovered"), "the recovered event", 10_000);
    await publish(5);
    await waitFor(() => seen.filter((entry) => entry.kind === "message").length >= 50, "all fifty messages", 10_000);

    const messages = seen.filter((entry) => entry.kind === "message");
    assert.deepEqual(
      messages.map((entry) => entry.offset),
      Array.from({ length: 50 }, (_, position) => position + 1),
      "every offset once, in order",
    );
    assert.deepEqual(
      messages.map((entry) => entry.index),
      Array.from({ length: 50 }, (_, position) => position),
    );
    // The gap was filled before anything live: recovered comes right after the 45th message.
    const recoveredAt = seen.findIndex((entry) => entry.kind === "recovered");
    assert.equal(recoveredAt, 45);
    assert.deepEqual(seen[recoveredAt], { kind: "recovered", missed: 40 });
    assert.ok(!seen.some((entry) => entry.kind === "reset"));
    assert.equal(readerRoom.offset, 50);
  });

  it("keeps every offset exactly once while it is disconnected repeatedly during a stream of publications", async () => {
    const roomName = "chat:churn";
    const [home, other] = await startRedisNodes(redis.url, 2);
    try {
      const reader = connect(home!.url, { reconnect: FAST_RECONNECT });
      clients.push(reader);
      const readerRoom = await reader.join(roomName);
      const offsets: number[] = [];
      let recoveries = 0;
      readerRoom.on("message", (_data, frame) => offsets.push(frame.offset!));
      readerRoom.on("recovered", () => recoveries++);
      const total = 300;
      const publishing = (async () => {
        // Server-side publications on the other node: no client frame-rate limit applies.
        for (let index = 0; index < total; index++) await other!.sb.publish(roomName, { index });
      })();
      // Three server-side disconnects (4009: reconnect with backoff) while messages keep coming.
      for (let round = 1; round <= 3; round++) {
        await waitFor(() => reader.state === "connected" && offsets.length >= round * 40, `round ${round}`, 10_000);
        await home!.sb.disconnect({ connectionId: reader.welcome!.connectionId });
      }
      await publishing;
      await waitFor(() => offsets.length >= total, "every message", 10_000);
      assert.deepEqual(offsets, Array.from({ length: total }, (_, position) => position + 1));
      assert.ok(recoveries >= 1, "at least one rejoin recovered a gap");
    } finally {
      await Promise.all([home!.close(), other!.close()]);
    }
  });
});

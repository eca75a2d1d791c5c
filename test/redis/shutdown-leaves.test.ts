import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { ClusterLifecycle, createRedisBackends } from "switchboard";
import type { SwitchboardOptions } from "switchboard";
import { connect } from "../support/client.js";
import type { Frame, TestClient } from "../support/client.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { PresenceTally, hasAll } from "../support/presence-tally.js";
import { startTestServer } from "../support/server.js";

const ROUNDS = 20;
const USERS = 4;

/** Waits until `count` frames matching `match` arrived (buffered or new), within a generous deadline. */
async function collect(client: TestClient, count: number, match: (frame: Frame) => boolean): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (let index = 0; index < count; index++) frames.push(await client.next(match, 10_000));
  return frames;
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("shutdown on Redis: every leave announced, every listener and lifecycle event completes", () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis.stop());

  it(`closing node 2 with ${USERS} users (one on a stalled link): node 1 sees all leaves, ${ROUNDS} rounds in a row`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const room = `deploy:${round}`;
      const options: SwitchboardOptions = { cluster: { lifecycleEvents: true }, shutdownTimeoutMs: 300 };
      const node1 = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: `one-${round}` }), ...options });
      const node2 = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: `two-${round}` }), ...options });
      try {
        const lifecycle: Array<{ channel: string; connectionId: string }> = [];
        node1.sb.cluster.on({ match: /^switchboard:(room\.left|connection\.closed)$/ }, (event) => {
          const payload = event.payload as { node: string; connectionId: string };
          if (payload.node === node2.sb.node) lifecycle.push({ channel: event.channel, connectionId: payload.connectionId });
        });
        // A handler's follow-up to a leave, on the node going away: it must still reach node 1.
        let listenersDone = 0;
        node2.sb.on("leave", async (connection, left) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          await node2.sb.to(left).emit("farewell", { connectionId: connection.id });
          listenersDone++;
        });
        const watcher = await connect(node1.url);
        await watcher.ok({ type: "join", room });
        const users: TestClient[] = [];
        for (let index = 0; index < USERS; index++) {
          const user = await connect(node2.url);
          await user.ok({ type: "join", room });
          users.push(user);
        }
        const presence = new PresenceTally(watcher, room);
        const ids = new Set(users.map((user) => user.connectionId));
        await presence.until((tally) => hasAll(tally.joined, ids));
        // The slow link: this client stops reading, so it never answers the close frame.
        const stalled = (users[0]!.ws as unknown as { _socket: Socket })._socket;
        stalled.pause();

        await node2.close();

        await presence.until((tally) => hasAll(tally.left, ids));
        assert.deepEqual(presence.left, ids, `round ${round}: presence leaves`);
        const farewells = await collect(watcher, USERS, (frame) => frame.type === "farewell");
        assert.deepEqual(new Set(farewells.map((frame) => (frame.data as { connectionId: string }).connectionId)), ids, `round ${round}: follow-up broadcasts`);
        assert.equal(listenersDone, USERS, `round ${round}: leave listeners finished before close() resolved`);
        await waitFor(() => lifecycle.length === 2 * USERS, `round ${round}: ${2 * USERS} lifecycle events, saw ${lifecycle.length}`);
        for (const channel of [ClusterLifecycle.roomLeft, ClusterLifecycle.connectionClosed]) {
          assert.deepEqual(new Set(lifecycle.filter((entry) => entry.channel === channel).map((entry) => entry.connectionId)), ids, `round ${round}: ${channel}`);
        }
        const members = await node1.sb.presence(room);
        assert.deepEqual(members.map((member) => member.connections), [1], `round ${round}: only the watcher is left in presence`);
        stalled.resume();
        for (const user of users) user.ws.terminate();
        await watcher.close();
      } finally {
        await node2.close();
        await node1.close();
      }
    }
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect as connectClient } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { FAST_RECONNECT, connected } from "../client/support.js";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { PresenceTally, hasAll } from "../support/presence-tally.js";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { startTcpBalancer } from "../support/tcp-balancer.js";
import type { TcpBalancer } from "../support/tcp-balancer.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";

const ROOM = "crash:lobby";
const USERS = ["ana", "ben", "cleo"];
/** Longer than the documented bound (1.25 × the default nodeTtlMs of 4 s), far shorter than the old 15 s TTL. */
const GHOST_DEADLINE_MS = 9_000;

describe("a node killed with SIGKILL (default node TTL)", () => {
  let redis: PrivateRedis;
  let survivor: ServerProcess;
  let doomed: ServerProcess;
  let balancer: TcpBalancer;
  const clients: SwitchboardClient[] = [];
  let watcher: TestClient;

  before(async () => {
    redis = await startRedisServer();
    // No SWITCHBOARD_NODE_TTL_MS: the default bound is what is under test.
    const env = { REDIS_URL: redis.url, SWITCHBOARD_JWT_SECRET: TEST_SECRET };
    [survivor, doomed] = await Promise.all([startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "survivor" }), startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "doomed" })]);
    balancer = await startTcpBalancer([doomed.port]);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await watcher?.close();
    await balancer?.close();
    await Promise.all([survivor?.stop(), doomed?.stop("SIGKILL")]);
    await redis?.stop();
  });

  it("its connections leave presence, announced, within a few seconds; reconnected clients get their meta back", async () => {
    watcher = await connect(`${survivor.url}?token=${await mintToken({ sub: "watcher" }, { expiresIn: "1h" })}`);
    await watcher.ok({ type: "join", room: ROOM });
    const presence = new PresenceTally(watcher, ROOM);
    const oldIds = new Map<string, string>();
    for (const user of USERS) {
      const token = await mintToken({ sub: user }, { expiresIn: "1h" });
      const client = connectClient(balancer.url, { token, reconnect: FAST_RECONNECT });
      clients.push(client);
      const room = await client.join(ROOM);
      await room.setMeta({ status: `${user} is here` });
      oldIds.set(client.welcome!.connectionId, user);
    }
    await presence.until((tally) => hasAll(tally.updated, oldIds.keys()));

    // The balancer's health check takes the node out of rotation; then the node dies without a word.
    balancer.backends = [survivor.port];
    await doomed.stop("SIGKILL");

    // Each frame must come within the deadline; the leaves of the dead node's connections are announced.
    await presence.until((tally) => hasAll(tally.left, oldIds.keys()), GHOST_DEADLINE_MS);
    for (const id of presence.left) assert.ok(oldIds.has(id), `only connections of the dead node left, got ${id}`);
    for (const client of clients) await connected(client);
    // Every user is back exactly once, on the survivor, with the meta set before the crash.
    const expected = [{ userId: "watcher", connections: 1 }, ...USERS.map((user) => ({ userId: user, connections: 1, meta: { status: `${user} is here` } }))];
    const deadline = Date.now() + 10_000;
    let members: unknown[] = [];
    for (;;) {
      members = ((await watcher.ok({ type: "presence", room: ROOM })).members as Array<{ userId: string }>).sort((a, b) => a.userId.localeCompare(b.userId));
      const sorted = [...expected].sort((a, b) => a.userId.localeCompare(b.userId));
      try {
        assert.deepEqual(members, sorted);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (const client of clients) assert.equal(client.welcome!.node, "survivor");
  });
});

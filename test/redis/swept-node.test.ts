import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createRedisBackends } from "switchboard";
import { connect as connectSdk } from "switchboard/client";
import type { Room, SwitchboardClient } from "switchboard/client";
import { connect } from "../support/client.js";
import type { Frame, TestClient } from "../support/client.js";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

const ROOM = "swept:lobby";
/** The smallest TTL the config accepts, so the stall that outlives it stays short. */
const NODE_TTL_MS = 1_000;

/** How often a raw client saw each connection join and leave in the room's presence frames. */
class ChangeCounts {
  readonly joins = new Map<string, number>();
  readonly leaves = new Map<string, number>();

  constructor(client: TestClient) {
    client.ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type !== "presence" || frame.room !== ROOM) return;
      const diff = frame.data as { joined?: Array<{ connectionId: string }>; left?: Array<{ connectionId: string }> };
      for (const entry of diff.joined ?? []) this.joins.set(entry.connectionId, (this.joins.get(entry.connectionId) ?? 0) + 1);
      for (const entry of diff.left ?? []) this.leaves.set(entry.connectionId, (this.leaves.get(entry.connectionId) ?? 0) + 1);
    });
  }
}

function ids(room: Room): string[] {
  return (room.presenceConnections ?? []).map((entry) => entry.connectionId).sort();
}

describe("a node whose heartbeat was late (paused past the node TTL), then resumed", () => {
  let redis: PrivateRedis;
  let store: Redis;
  let steady: ServerProcess;
  let stalled: ServerProcess;
  /** An application node on the same Redis that only listens to the lifecycle events. */
  let observer: TestServer;
  /** The room.joined / room.left events the observer heard, per connection, in order. */
  const lifecycle = new Map<string, string[]>();
  let paused = false;
  let watcher: TestClient;
  const sdks: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    store = new Redis(redis.url);
    const env = { REDIS_URL: redis.url, SWITCHBOARD_NODE_TTL_MS: String(NODE_TTL_MS), SWITCHBOARD_CLUSTER_LIFECYCLE_EVENTS: "true" };
    [steady, stalled] = await Promise.all([startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "steady" }), startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "stalled" })]);
    observer = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "observer", nodeTtlMs: NODE_TTL_MS }), cluster: { lifecycleEvents: true } });
    observer.sb.cluster.on({ match: /^switchboard:room\.(joined|left)$/ }, (event) => {
      const payload = event.payload as { connectionId: string; room: string };
      if (payload.room !== ROOM) return;
      lifecycle.set(payload.connectionId, [...(lifecycle.get(payload.connectionId) ?? []), event.channel.slice("switchboard:room.".length)]);
    });
  });
  after(async () => {
    if (paused) process.kill(stalled.child.pid!, "SIGCONT");
    await Promise.all(sdks.map((client) => client.close()));
    await watcher?.close();
    await Promise.all([steady?.stop(), stalled?.stop(), observer?.close()]);
    store?.disconnect();
    await redis?.stop();
  });

  async function storeMembers(): Promise<string[]> {
    return (await store.hkeys(`switchboard:{room:${ROOM}}:presence`)).sort();
  }

  it("is not swept for a short stall; swept after a long one, it re-announces its members as joins after the sweep's leaves: every client's list ends equal to the store's", async () => {
    watcher = await connect(steady.url);
    const counts = new ChangeCounts(watcher);
    await watcher.ok({ type: "join", room: ROOM });
    const rooms: Room[] = [];
    const onStalled: string[] = [];
    for (const [server, count] of [
      [steady, 2],
      [stalled, 3],
    ] as const) {
      for (let index = 0; index < count; index++) {
        const client = connectSdk(server.url, { reconnect: false });
        sdks.push(client);
        rooms.push(await client.join(ROOM));
        if (server === stalled) onStalled.push(client.welcome!.connectionId);
      }
    }
    const everyone = [watcher.connectionId, ...sdks.map((client) => client.welcome!.connectionId)].sort();
    await waitFor(() => rooms.every((room) => JSON.stringify(ids(room)) === JSON.stringify(everyone)), "every client to list everyone", 10_000);
    await waitFor(() => everyone.every((id) => id === watcher.connectionId || counts.joins.has(id)), "the watcher to see everyone join", 10_000);
    // From here on the counts are of what the stall causes.
    counts.joins.clear();

    // A short stall (past the TTL, its Redis connection open): slow, not gone, so nobody is swept.
    process.kill(stalled.child.pid!, "SIGSTOP");
    paused = true;
    await waitForAsync(async () => Number(await store.zscore("switchboard:nodes", "stalled")) < Date.now() - 2.5 * NODE_TTL_MS, 10_000);
    process.kill(stalled.child.pid!, "SIGCONT");
    paused = false;
    const resumedAt = Date.now();
    await waitForAsync(async () => Number(await store.zscore("switchboard:nodes", "stalled")) > resumedAt, 10_000);
    assert.deepEqual([...counts.leaves.keys()], [], "a stall with the connection open swept nobody");
    assert.deepEqual((await storeMembers()).sort(), everyone);

    // A long stall (past five TTLs): the steady node sweeps it, as it would a host that vanished.
    process.kill(stalled.child.pid!, "SIGSTOP");
    paused = true;
    await waitFor(() => onStalled.every((id) => counts.leaves.get(id) === 1), "the sweep's leaves of the stalled node's connections", 15_000);
    assert.deepEqual(
      (await storeMembers()).filter((id) => onStalled.includes(id)),
      [],
      "the sweep removed the stalled node's entries",
    );
    process.kill(stalled.child.pid!, "SIGCONT");
    paused = false;

    // Its connections never closed: they are back in the store, and every client must see them back too.
    let lastSeen = "";
    try {
      await waitFor(
        () => {
          lastSeen = JSON.stringify({ rooms: rooms.map(ids), watcher: onStalled.map((id) => [counts.leaves.get(id), counts.joins.get(id)]) });
          return rooms.every((room) => JSON.stringify(ids(room)) === JSON.stringify(everyone)) && onStalled.every((id) => counts.joins.get(id) === 1);
        },
        "every client to list the resumed node's connections again",
        15_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; store ${JSON.stringify(await storeMembers())}, expected ${JSON.stringify(everyone)}, seen ${lastSeen}`);
    }
    assert.deepEqual(await storeMembers(), everyone, "the store holds every live connection");
    // Nodes of the application hear the same story as the clients: each swept connection left once,
    // then joined again (it is present, as it is), and nobody else changed.
    await waitFor(() => onStalled.every((id) => lifecycle.get(id)?.length === 3), "the observer to hear each swept connection leave and join again", 15_000);
    for (const id of onStalled) assert.deepEqual(lifecycle.get(id), ["joined", "left", "joined"], `lifecycle events for ${id}`);
    for (const id of everyone.filter((id) => !onStalled.includes(id))) assert.deepEqual(lifecycle.get(id), ["joined"], `lifecycle events for ${id}`);
    // Each swept connection was announced leaving once and joining again once: no leave without its join.
    for (const id of onStalled) assert.deepEqual([counts.leaves.get(id), counts.joins.get(id)], [1, 1], `changes announced for ${id}`);
    for (const room of rooms) assert.equal(room.presenceCount, everyone.length);
  });
});

describe("a node swept while alive and busy (its heartbeat looked late), joins, leaves and meta racing the sweep", () => {
  let redis: PrivateRedis;
  let store: Redis;
  let nodes: TestServer[];
  const raw: TestClient[] = [];
  const sdks: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    store = new Redis(redis.url);
    const options = { presenceIntervalMs: 50, protection: { ipConnectionRate: { perSecond: 2_000, burst: 2_000 } } };
    // Different heartbeat periods (a quarter of the TTL), so that node 1's sweep does not always run
    // right after node 2's heartbeat; node 2's real heartbeat is never older than node 1's TTL.
    nodes = [
      await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "node-1", nodeTtlMs: 400 }), ...options }),
      await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "node-2", nodeTtlMs: 1_000 }), ...options }),
    ];
  });
  after(async () => {
    await Promise.all([...raw.map((client) => client.close()), ...sdks.map((client) => client.close())]);
    await Promise.all(nodes.map((node) => node.close()));
    store.disconnect();
    await redis.stop();
  });

  async function open(count: number, node: number): Promise<TestClient[]> {
    const opened = await Promise.all(Array.from({ length: count }, () => connect(nodes[node]!.url)));
    raw.push(...opened);
    return opened;
  }

  async function storeEntries(): Promise<string> {
    const entries = await store.hgetall(`switchboard:{room:${ROOM}}:presence`);
    return JSON.stringify(
      Object.entries(entries)
        .map(([connectionId, value]) => [connectionId, (JSON.parse(value) as { m?: unknown }).m ?? null])
        .sort(),
    );
  }

  function listed(room: Room): string {
    return JSON.stringify((room.presenceConnections ?? []).map((entry) => [entry.connectionId, entry.meta ?? null]).sort());
  }

  it("ends with every client's list equal to the store's, metas included", async () => {
    const observers: Room[] = [];
    for (const node of [0, 1]) {
      const client = connectSdk(nodes[node]!.url, { reconnect: false });
      sdks.push(client);
      observers.push(await client.join(ROOM));
    }
    const [watcher] = await open(1, 0);
    const counts = new ChangeCounts(watcher!);
    await watcher!.ok({ type: "join", room: ROOM });
    const busy = await open(30, 1);
    const calm = await open(5, 0);
    await Promise.all([...busy, ...calm].map((client) => client.ok({ type: "join", room: ROOM })));
    const onBusy = new Set(busy.map((client) => client.connectionId));

    // Node 2's heartbeat made to look late (score 1, as if it had stopped long ago), until node 1 sweeps it;
    // meanwhile node 2 keeps serving: leaves, rejoins, newcomers, meta updates. Both loops are bounded.
    let swept = false;
    const sweep = (async () => {
      // A late heartbeat is still no older than the epoch of node 2's registration (which it stamps on its
      // entries); written again and again, since node 2 keeps heartbeating and node 1 must read it in between.
      for (let attempt = 0; attempt < 2_000 && !swept; attempt++) {
        const epochs = (await store.hvals(`switchboard:{room:${ROOM}}:presence`)).map((value) => JSON.parse(value) as { n: string; e: number }).filter((entry) => entry.n === "node-2");
        const late = Math.max(0, ...epochs.map((entry) => entry.e));
        if (late < Date.now() - 500) await store.zadd("switchboard:nodes", "XX", late, "node-2");
        await new Promise((resolve) => setTimeout(resolve, 5));
        swept = [...onBusy].some((id) => (counts.leaves.get(id) ?? 0) > 0);
      }
    })();
    const newcomers: TestClient[] = [];
    const churn = (async () => {
      for (let round = 0; round < 60 && (round < 10 || !swept); round++) {
        const client = busy[round % busy.length]!;
        if (round % 3 === 0) {
          await client.ok({ type: "leave", room: ROOM });
          await client.ok({ type: "join", room: ROOM, meta: { round } });
        } else if (round % 3 === 1) await client.ok({ type: "presence", room: ROOM, meta: { round } });
        else {
          const [newcomer] = await open(1, 1);
          await newcomer!.ok({ type: "join", room: ROOM });
          newcomers.push(newcomer!);
        }
      }
    })();
    await Promise.all([sweep, churn]);
    assert.ok(swept, `node 1 swept node 2 at least once (leaves seen: ${counts.leaves.size}, joins: ${counts.joins.size}, churned ${newcomers.length})`);
    const leaving = busy.slice(0, 3);
    await Promise.all(leaving.map((client) => client.close()));

    const present = [watcher!, ...busy.slice(3), ...calm, ...newcomers].map((client) => client.connectionId);
    const expectedIds = JSON.stringify([...present, ...sdks.map((client) => client.welcome!.connectionId)].sort());
    let last = "";
    try {
      await waitForAsync(async () => {
        const truth = await storeEntries();
        last = JSON.stringify({ truth, lists: observers.map(listed) });
        const ids = JSON.stringify((JSON.parse(truth) as Array<[string]>).map(([id]) => id).sort());
        return ids === expectedIds && observers.every((room) => listed(room) === truth);
      }, 15_000);
    } catch {
      assert.fail(`lists never matched the store: ${last}; expected ids ${expectedIds}`);
    }
  });
});

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

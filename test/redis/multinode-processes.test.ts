import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";
import { presenceWith } from "../support/presence.js";
import type { TestClient } from "../support/client.js";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

describe("switchboard start processes on one Redis", () => {
  let redis: PrivateRedis;
  let nodes: ServerProcess[];
  const clients: TestClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_NODE_TTL_MS: "1500" };
    nodes = await Promise.all([startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "p1" }), startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "p2" }), startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "p3" })]);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  });

  async function open(node: ServerProcess): Promise<TestClient> {
    const client = await connect(node.url);
    clients.push(client);
    return client;
  }

  it("delivers publications across three processes", async () => {
    const [a, b, c] = await Promise.all(nodes.map(open));
    for (const client of [a!, b!, c!]) await client.ok({ type: "join", room: "room:all" });
    await a!.ok({ type: "publish", room: "room:all", data: "from p1" });
    for (const client of [b!, c!]) assert.equal((await client.nextOfType("message")).data, "from p1");
  });

  it("expires the presence of a SIGKILLed node and announces the leaves", async () => {
    const watcher = await open(nodes[0]!);
    const doomed = await open(nodes[2]!);
    await watcher.ok({ type: "join", room: "lobby:kill" });
    await doomed.ok({ type: "join", room: "lobby:kill" });
    await watcher.next(presenceWith("joined", doomed.connectionId, "lobby:kill"));
    assert.equal(((await watcher.ok({ type: "presence", room: "lobby:kill" })).members as unknown[]).length, 2);
    await nodes[2]!.stop("SIGKILL");
    // TTL 1.5 s, heartbeat every 0.5 s: the leave arrives within a few seconds.
    await watcher.next(presenceWith("left", doomed.connectionId, "lobby:kill"), 10_000);
    assert.equal(((await watcher.ok({ type: "presence", room: "lobby:kill" })).members as unknown[]).length, 1);
  });
});

describe("a node restarted under the same id after a crash", () => {
  let redis: PrivateRedis;
  const processes: ServerProcess[] = [];

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(processes.map((node) => node.stop()));
    await redis.stop();
  });

  it("clears the entries its previous run left behind and announces the leaves", async () => {
    // A long TTL: only the restarted node itself can clear the old entries within this test.
    const env = { REDIS_URL: redis.url, SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_NODE_TTL_MS: "60000" };
    const stable = await startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "stable" });
    processes.push(stable);
    const crashing = await startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "same" });
    const watcher = await connect(stable.url);
    const victim = await connect(crashing.url);
    await watcher.ok({ type: "join", room: "lobby:same" });
    await victim.ok({ type: "join", room: "lobby:same" });
    await crashing.stop("SIGKILL");
    const restarted = await startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "same" });
    processes.push(restarted);
    await watcher.next(presenceWith("left", victim.connectionId, "lobby:same"), 10_000);
    assert.equal(((await watcher.ok({ type: "presence", room: "lobby:same" })).members as unknown[]).length, 1);
    await watcher.close();
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_KEY, startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";
import { startServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

const authorized = { authorization: `Bearer ${API_KEY}` };

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("server API settings", () => {
  const servers: ApiServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));
  const start = async (env: Record<string, string>): Promise<ApiServer> => {
    const server = await startApiServer(env);
    servers.push(server);
    return server;
  };

  it("answers 429 with rate_limited beyond SWITCHBOARD_API_RATE_LIMIT requests a minute", async () => {
    const server = await start({ SWITCHBOARD_API_RATE_LIMIT: "3" });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) statuses.push((await server.call("GET", "/api/rooms")).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await server.call("GET", "/api/rooms");
    assert.equal((limited.body.error as { code: string }).code, "rate_limited");
    assert.equal((await server.call("GET", "/health", undefined, null)).status, 200, "health is not rate limited");
  });

  it("guards /health and /metrics with the key when they are not public", async () => {
    const server = await start({ SWITCHBOARD_HEALTH_PUBLIC: "false", SWITCHBOARD_METRICS_PUBLIC: "false" });
    assert.equal((await server.call("GET", "/health", undefined, null)).status, 401);
    assert.equal((await server.call("GET", "/metrics", undefined, null)).status, 401);
    assert.equal((await server.call("GET", "/health")).status, 200);
    assert.equal((await server.call("GET", "/metrics")).status, 200);
    assert.equal((await server.call("GET", "/health/live", undefined, null)).status, 200, "liveness stays open for orchestrators");
  });

  it("serves the API on its own port when SWITCHBOARD_API_PORT is set", async () => {
    const server = await start({ SWITCHBOARD_API_PORT: "0", SWITCHBOARD_API_HOST: "127.0.0.1" });
    assert.notEqual(server.apiUrl, server.url.replace("ws://", "http://").replace("/ws", ""));
    const client = await connect(server.url);
    await client.ok({ type: "join", room: "apart", id: 1 });
    const published = await server.call("POST", "/api/publish", { room: "apart", data: "over the API port" });
    assert.equal(published.status, 200);
    assert.equal((await client.nextOfType("message")).data, "over the API port");
    const onMainPort = await fetch(`${server.url.replace("ws://", "http://").replace("/ws", "")}/api/stats`, { headers: authorized });
    assert.equal(onMainPort.status, 404);
    await client.close();
  });

  it("rejects short API keys at startup, naming the setting", async () => {
    await assert.rejects(startApiServer({ SWITCHBOARD_API_KEY: "short" }), /SWITCHBOARD_API_KEY.*16 characters/s);
  });

  it("shows an integration that is down in /health without failing readiness", async () => {
    const server = await start({ SWITCHBOARD_PG_URL: "postgres://switchboard@127.0.0.1:1/test", SWITCHBOARD_PG_FEEDS: '[{"channel":"nowhere","room":"r:{id}"}]' });
    const report = await eventually(
      async () => (await server.call("GET", "/health", undefined, null)),
      (response) => (response.body.checks as Record<string, { ok: boolean }> | undefined)?.["postgres-change-feed"]?.ok === false,
      "the change feed to report down",
    );
    assert.equal(report.status, 200);
    assert.equal(report.body.status, "degraded");
    assert.equal((report.body.checks as Record<string, { required: boolean }>)["postgres-change-feed"]!.required, false);
    const metrics = await server.call("GET", "/metrics", undefined, null);
    assert.match(metrics.text, /^switchboard_pg_feed_connected 0$/m);
  });

  it("shows a connected change feed in /health and /metrics", async () => {
    const server = await start({ SWITCHBOARD_PG_URL: process.env.SWITCHBOARD_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test", SWITCHBOARD_PG_FEEDS: '[{"channel":"sb_api_health","room":"r:{id}"}]' });
    await eventually(
      async () => (await server.call("GET", "/metrics", undefined, null)).text,
      (text) => /^switchboard_pg_feed_connected 1$/m.test(text),
      "the feed gauge to show connected",
    );
    const report = await server.call("GET", "/health", undefined, null);
    assert.equal(report.body.status, "ok");
    assert.equal((report.body.checks as Record<string, { ok: boolean }>)["postgres-change-feed"]!.ok, true);
  });
});

describe("server API on two nodes sharing a private Redis", () => {
  let redis: PrivateRedis;
  let nodeA: ApiServer;
  let nodeB: ApiServer;
  before(async () => {
    redis = await startRedisServer();
    nodeA = await startApiServer({ REDIS_URL: redis.url, SWITCHBOARD_NODE_ID: "api-a" });
    nodeB = await startApiServer({ REDIS_URL: redis.url, SWITCHBOARD_NODE_ID: "api-b" });
  });
  after(async () => {
    await Promise.all([nodeA.close(), nodeB.close()]);
    await redis.stop();
  });

  it("publishes, broadcasts and disconnects across nodes, and reports stats and rooms per node", async () => {
    const onA = await connect(nodeA.url);
    const onB = await connect(nodeB.url);
    const alsoOnB = await connect(nodeB.url);
    await onA.ok({ type: "join", room: "shared", id: 1 });
    await onB.ok({ type: "join", room: "shared", id: 1 });
    await alsoOnB.ok({ type: "join", room: "only-b", id: 1 });

    const published = await nodeA.call("POST", "/api/publish", { room: "shared", data: "to both nodes" });
    assert.equal(published.status, 200);
    for (const client of [onA, onB]) assert.equal((await client.nextOfType("message")).data, "to both nodes");
    const broadcast = await nodeA.call("POST", "/api/broadcast", { connectionIds: [alsoOnB.connectionId], type: "ping_from_a", data: 1 });
    assert.equal(broadcast.status, 200);
    assert.equal((await alsoOnB.nextOfType("ping_from_a")).data, 1);

    const stats = await eventually(
      async () => (await nodeA.call("GET", "/api/stats")).body,
      (body) => (body.nodes as unknown[]).length === 2,
      "node B in node A's stats",
    );
    const nodes = stats.nodes as Array<{ node: string; connections: number }>;
    assert.deepEqual(nodes.map((node) => node.node), ["api-a", "api-b"]);
    assert.equal((stats.totals as { connections: number }).connections, nodes[0]!.connections + nodes[1]!.connections);
    const rooms = await eventually(
      async () => (await nodeA.call("GET", "/api/rooms")).body.rooms as Array<{ room: string; connections: number }>,
      (list) => list.some((room) => room.room === "shared" && room.connections === 2),
      "room counts from both nodes",
    );
    assert.ok(rooms.some((room) => room.room === "only-b" && room.connections === 1));
    const presence = await nodeA.call("GET", "/api/rooms/shared/presence");
    assert.equal((presence.body.members as unknown[]).length, 2);

    const disconnected = await nodeA.call("POST", "/api/disconnect", { connectionId: onB.connectionId });
    assert.equal(disconnected.status, 200);
    assert.equal((await onB.closed).code, 4009);
    await Promise.all([onA.close(), alsoOnB.close()]);
  });

  it("answers 503 on /health while Redis is down, 200 on /health/live, and recovers", async () => {
    assert.equal((await nodeA.call("GET", "/health", undefined, null)).status, 200);
    await redis.stop();
    const down = await eventually(() => nodeA.call("GET", "/health", undefined, null), (response) => response.status === 503, "readiness to fail");
    assert.equal(down.body.status, "down");
    assert.equal((down.body.checks as Record<string, { ok: boolean }>).broker!.ok, false);
    assert.equal((await nodeA.call("GET", "/health/live", undefined, null)).status, 200);
    const publish = await nodeA.call("POST", "/api/publish", { room: "shared", data: "while down" });
    assert.equal(publish.status, 503);
    assert.equal((publish.body.error as { code: string }).code, "unavailable");
    await redis.restart();
    await eventually(() => nodeA.call("GET", "/health", undefined, null), (response) => response.status === 200, "readiness to recover", 20_000);
  });
});

describe("switchboard start serves the server API", () => {
  it("answers /health and /api/stats from the CLI process and never logs the key", async () => {
    const server = await startServerProcess({ SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_API_KEY: API_KEY, SWITCHBOARD_LOG_LEVEL: "debug" });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, "ok");
      const stats = await fetch(`${base}/api/stats`, { headers: authorized });
      assert.equal(stats.status, 200);
      assert.equal(((await stats.json()) as { nodes: unknown[] }).nodes.length, 1);
      const refused = await fetch(`${base}/api/stats`, { headers: { authorization: "Bearer wrong-key-0123456789abcdef" } });
      assert.equal(refused.status, 401);
      const upgradeOnly = await fetch(`${base}/ws`);
      assert.equal(upgradeOnly.status, 426);
    } finally {
      await server.stop();
    }
    assert.ok(!server.output().includes(API_KEY), "the API key is not in the logs");
  });
});

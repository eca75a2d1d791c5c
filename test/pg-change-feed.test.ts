import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PgChangeFeed, createRedisBackends } from "switchboard";
import { connect } from "./support/client.js";
import type { Frame, TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { startRedisServer } from "./support/redis-server.js";
import type { PrivateRedis } from "./support/redis-server.js";

const PG_URL = process.env.SWITCHBOARD_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const TRIGGER_SQL = readFileSync(new URL("../src/integrations/sql/switchboard-notify.sql", import.meta.url), "utf8");

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const isChange = (frame: Frame): boolean => frame.type === "message";

describe("PostgreSQL change feed on two nodes", () => {
  const suffix = randomBytes(4).toString("hex");
  const schema = `sb_feed_${suffix}`;
  const channel = `sb_feed_${suffix}`;
  const applicationName = `sb-feed-test-${suffix}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let redis: PrivateRedis;
  let nodeA: TestServer;
  let nodeB: TestServer;
  let feedA: PgChangeFeed;
  let feedB: PgChangeFeed;
  let onA: TestClient;
  let onB: TestClient;
  let otherMarket: TestClient;

  const feedFor = (server: TestServer): PgChangeFeed =>
    new PgChangeFeed(server.sb, {
      connectionString: PG_URL,
      mappings: [
        { channel, room: "market:{market_id}", event: "price.{op}" },
        { channel: `${channel}_raw`, room: "market:{market_id}", event: "tick", deliver: "event" },
      ],
      applicationName,
      reconnectMinMs: 50,
      reconnectMaxMs: 500,
      leaderPollMs: 100,
      logger: server.sb.logger,
    }).start();

  const insert = (marketId: string, price: number, note = ""): Promise<unknown> =>
    admin.query(`INSERT INTO ${schema}.prices (market_id, price, note) VALUES ($1, $2, $3)`, [marketId, price, note]);

  async function expectOnceEach(clients: TestClient[], check: (frame: Frame) => void): Promise<void> {
    for (const client of clients) check(await client.next(isChange, 5_000));
    for (const client of clients) await client.expectNone(isChange, 300);
  }

  before(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`SET search_path TO ${schema}`);
    await admin.query(TRIGGER_SQL);
    await admin.query(`CREATE TABLE ${schema}.prices (id bigserial PRIMARY KEY, market_id text NOT NULL, price numeric NOT NULL, note text NOT NULL DEFAULT '')`);
    await admin.query(
      `CREATE TRIGGER prices_switchboard AFTER INSERT OR UPDATE OR DELETE ON ${schema}.prices FOR EACH ROW EXECUTE FUNCTION ${schema}.switchboard_notify('${channel}', 'id,market_id')`,
    );
    // Two nodes as users run them: each with its own connections to one Redis.
    redis = await startRedisServer();
    nodeA = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "node-a" }), nodeId: "node-a" });
    nodeB = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "node-b" }), nodeId: "node-b" });
    feedA = feedFor(nodeA);
    feedB = feedFor(nodeB);
    onA = await connect(nodeA.url);
    onB = await connect(nodeB.url);
    otherMarket = await connect(nodeB.url);
    await onA.ok({ type: "join", room: "market:m1" });
    await onB.ok({ type: "join", room: "market:m1" });
    await otherMarket.ok({ type: "join", room: "market:m2" });
    await waitFor(() => [feedA.role, feedB.role].includes("leader") && [feedA.role, feedB.role].includes("standby"), "one leader and one standby");
    // Drain presence announcements.
    await onA.nextOfType("presence");
  });

  after(async () => {
    await Promise.all([onA, onB, otherMarket].map((client) => client?.close()));
    await Promise.all([feedA?.close(), feedB?.close()]);
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await redis?.stop();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  });

  it("delivers an inserted row to the mapped room's members on both nodes, once each", async () => {
    assert.deepEqual([feedA.health().ok, feedB.health().ok], [true, true]);
    await insert("m1", 101.5);
    await expectOnceEach([onA, onB], (frame) => {
      assert.equal(frame.room, "market:m1");
      assert.equal(typeof frame.offset, "number", "delivered through publish, so kept in history");
      assert.equal(frame.event, "price.insert");
      const data = frame.data as { op: string; table: string; new: { market_id: string; price: number }; old: unknown };
      assert.equal(data.op, "insert");
      assert.equal(data.table, "prices");
      assert.equal(data.new.market_id, "m1");
      assert.equal(Number(data.new.price), 101.5);
      assert.equal(data.old, null);
    });
    await otherMarket.expectNone(isChange, 100);
  });

  it("carries old and new state of updates and deletes", async () => {
    await admin.query(`UPDATE ${schema}.prices SET price = 99 WHERE market_id = 'm2'`); // no rows yet: nothing sent
    await insert("m2", 10);
    assert.equal((await otherMarket.next(isChange)).event, "price.insert");
    await admin.query(`UPDATE ${schema}.prices SET price = 11 WHERE market_id = 'm2'`);
    const updateFrame = await otherMarket.next(isChange);
    assert.equal(updateFrame.event, "price.update");
    const update = updateFrame.data as { new: { price: number }; old: { price: number } };
    assert.deepEqual([Number(update.old.price), Number(update.new.price)], [10, 11]);
    await admin.query(`DELETE FROM ${schema}.prices WHERE market_id = 'm2'`);
    const deletedFrame = await otherMarket.next(isChange);
    assert.equal(deletedFrame.event, "price.delete");
    const deleted = deletedFrame.data as { new: unknown; old: { market_id: string } };
    assert.equal(deleted.new, null);
    assert.equal(deleted.old.market_id, "m2");
  });

  it("fetches a row too large for NOTIFY's 8000 bytes", async () => {
    const raw = new Promise<string>((resolve) => admin.once("notification", (message) => resolve(message.payload ?? "")));
    await admin.query(`LISTEN ${channel}`);
    const note = "x".repeat(20_000);
    await insert("m1", 7, note);
    const sent = JSON.parse(await raw) as { truncated?: boolean; new: Record<string, unknown> };
    await admin.query(`UNLISTEN ${channel}`);
    assert.equal(sent.truncated, true, "the trigger sent only the key");
    assert.deepEqual(Object.keys(sent.new).sort(), ["id", "market_id"]);
    await expectOnceEach([onA, onB], (frame) => {
      const data = frame.data as { truncated?: boolean; new: { note: string; price: number } };
      assert.equal(data.truncated, undefined);
      assert.equal(data.new.note.length, 20_000);
      assert.equal(Number(data.new.price), 7);
    });
  });

  it("maps custom NOTIFY payloads and drops ones it cannot map", async () => {
    const dropped = feedA.counters.dropped + feedB.counters.dropped;
    await admin.query("SELECT pg_notify($1, 'not json'), pg_notify($1, '{\"price\": 1}')", [`${channel}_raw`]);
    await waitFor(() => feedA.counters.dropped + feedB.counters.dropped === dropped + 2, "invalid and unmapped payloads to be dropped");
    await admin.query("SELECT pg_notify($1, $2)", [`${channel}_raw`, JSON.stringify({ market_id: "m1", price: 5 })]);
    const isTick = (frame: Frame): boolean => frame.type === "tick";
    for (const client of [onA, onB]) {
      const tick = await client.next(isTick);
      assert.equal(tick.room, "market:m1");
      assert.deepEqual(tick.data, { market_id: "m1", price: 5 });
    }
    for (const client of [onA, onB, otherMarket]) await client.expectNone(isTick, 200);
  });

  it("survives its PostgreSQL sessions being terminated, then fails over when the leader stops", async () => {
    const before = feedA.counters.disconnects + feedB.counters.disconnects;
    const terminated = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
    assert.equal(terminated.rowCount, 2);
    await waitFor(() => feedA.counters.disconnects + feedB.counters.disconnects >= before + 2, "both feeds to notice the lost session");
    await waitFor(() => [feedA.role, feedB.role].includes("leader") && feedA.health().ok && feedB.health().ok, "a new leader after reconnecting");
    await insert("m1", 200);
    await expectOnceEach([onA, onB], (frame) => assert.equal(Number((frame.data as { new: { price: number } }).new.price), 200));

    const [leader, standby] = feedA.role === "leader" ? [feedA, feedB] : [feedB, feedA];
    await leader.close();
    await waitFor(() => standby.role === "leader", "the standby to take the lock");
    await insert("m1", 300);
    await expectOnceEach([onA, onB], (frame) => assert.equal(Number((frame.data as { new: { price: number } }).new.price), 300));
  });
});

describe("PostgreSQL change feed health", () => {
  it("reports a PostgreSQL it cannot reach and keeps retrying", async () => {
    const server = await startTestServer();
    const disconnects: string[] = [];
    const feed = new PgChangeFeed(server.sb, {
      connectionString: "postgres://postgres@127.0.0.1:1/test",
      mappings: [{ channel: "nowhere", room: "r:{id}" }],
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
      metrics: { disconnected: (reason) => disconnects.push(reason) },
    }).start();
    try {
      await waitFor(() => disconnects.length >= 2, "two failed attempts");
      const health = feed.health();
      assert.equal(health.ok, false);
      assert.match(health.detail ?? "", /disconnected from PostgreSQL/);
    } finally {
      await feed.close();
      await server.close();
    }
  });
});

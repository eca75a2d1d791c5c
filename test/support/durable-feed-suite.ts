import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import { LogicalReplicationFeed, OutboxFeed, createRedisBackends } from "switchboard";
import type { TableMapping } from "switchboard";
import { connect } from "./client.js";
import type { Frame, TestClient } from "./client.js";
import { startPostgres } from "./pg-cluster.js";
import type { PrivatePostgres } from "./pg-cluster.js";
import { startServerProcess } from "./process.js";
import type { ServerProcess } from "./process.js";
import { startRedisServer } from "./redis-server.js";
import type { PrivateRedis } from "./redis-server.js";
import { startTestServer } from "./server.js";
import type { TestServer } from "./server.js";

/**
 * The scenarios every durable change-feed mode passes, on a private PostgreSQL
 * cluster (wal_level = logical) and a private Redis (shared history).
 */
export type DurableMode = "outbox" | "logical";

const OUTBOX_SQL = readFileSync(new URL("../../src/integrations/sql/switchboard-outbox.sql", import.meta.url), "utf8");

async function until<T>(read: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const isMessage = (room: string) => (frame: Frame): boolean => frame.type === "message" && frame.room === room;

interface ChangeData {
  op: string;
  table: string;
  new: Record<string, unknown> | null;
  old: Record<string, unknown> | null;
  feed: string;
  position: string;
}

/** Creates the tables (and, per mode, the outbox or replica identity) in a fresh database. */
async function prepareDatabase(mode: DurableMode, url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query("CREATE TABLE markets (id bigserial PRIMARY KEY, market_id text NOT NULL, state text NOT NULL, price numeric NOT NULL, note text NOT NULL DEFAULT '')");
    await admin.query("CREATE TABLE ticks (id bigserial PRIMARY KEY, room_id int NOT NULL, seq int NOT NULL)");
    if (mode === "outbox") {
      await admin.query(OUTBOX_SQL);
      await admin.query("SELECT switchboard_outbox_track('markets'), switchboard_outbox_track('ticks')");
    } else {
      // Full old rows on update and delete (the default identity sends only the key).
      await admin.query("ALTER TABLE markets REPLICA IDENTITY FULL");
    }
  } finally {
    await admin.end();
  }
}

/** Whether the feed has confirmed everything committed so far (outbox empty / slot caught up). */
async function drained(mode: DurableMode, admin: pg.Client, slot: string, target: string | undefined): Promise<boolean> {
  if (mode === "outbox") return Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM switchboard_outbox")).rows[0]!.n) === 0;
  const result = await admin.query<{ done: boolean }>("SELECT confirmed_flush_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1", [slot, target]);
  return result.rows[0]?.done === true;
}

export function durableFeedSuite(mode: DurableMode): void {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedisServer()]);
  });
  after(async () => {
    await redis?.stop();
    await postgres?.stop();
  });

  describe(`${mode} mode, in process`, () => {
    let url: string;
    let admin: pg.Client;
    let node: TestServer;
    let feed: OutboxFeed | LogicalReplicationFeed;
    let client: TestClient;
    const mappings: TableMapping[] = [
      { table: "markets", room: "market:{market_id}", event: "market.{op}" },
      { table: "public.markets", room: "finalized", event: "finalized", ops: ["update"], filter: { state: "FINALIZED" } },
    ];
    const feedFor = (server: TestServer): OutboxFeed | LogicalReplicationFeed =>
      mode === "outbox"
        ? new OutboxFeed(server.sb, { connectionString: url, mappings, pollMs: 200, leaderPollMs: 100, reconnectMinMs: 50, reconnectMaxMs: 200, logger: server.sb.logger }).start()
        : new LogicalReplicationFeed(server.sb, { connectionString: url, mappings, slot: "inproc", publication: "inproc", leaderPollMs: 100, reconnectMinMs: 50, reconnectMaxMs: 200, lagPollMs: 100, logger: server.sb.logger }).start();

    before(async () => {
      url = await postgres.createDatabase("inproc");
      await prepareDatabase(mode, url);
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
      node = await startTestServer({ ...createRedisBackends(redis.url, { nodeId: "inproc", keyPrefix: "inproc:" }), nodeId: "inproc" });
      feed = feedFor(node);
      client = await connect(node.url);
      for (const room of ["market:btc", "market:eth", "finalized"]) await client.ok({ type: "join", room });
      await until(() => (feed.role === "leader" ? true : undefined), "the feed to read");
    });
    after(async () => {
      await client?.close();
      await feed?.close();
      await node?.close();
      await admin?.end();
    });

    it("delivers inserts, updates and deletes with old and new rows, through the mapping's templates and row filter", async () => {
      await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('btc', 'OPEN', 100)");
      const inserted = await client.next(isMessage("market:btc"), 10_000);
      assert.equal(inserted.event, "market.insert");
      assert.equal(typeof inserted.offset, "number", "kept in history");
      const insertData = inserted.data as ChangeData;
      assert.equal(insertData.op, "insert");
      assert.equal(insertData.new?.state, "OPEN");
      assert.equal(insertData.old, null);
      assert.equal(typeof insertData.position, "string");

      await admin.query("UPDATE markets SET state = 'FINALIZED', price = 101 WHERE market_id = 'btc'");
      const updated = (await client.next(isMessage("market:btc"), 10_000)).data as ChangeData;
      assert.equal(updated.op, "update");
      assert.deepEqual([updated.old?.state, updated.new?.state], ["OPEN", "FINALIZED"]);
      assert.deepEqual([Number(updated.old?.price), Number(updated.new?.price)], [100, 101]);
      const finalized = await client.next(isMessage("finalized"), 10_000);
      assert.equal(finalized.event, "finalized", "the filtered mapping took the FINALIZED update");

      await admin.query("DELETE FROM markets WHERE market_id = 'btc'");
      const deleted = await client.next(isMessage("market:btc"), 10_000);
      assert.equal(deleted.event, "market.delete");
      const deleteData = deleted.data as ChangeData;
      assert.equal(deleteData.new, null);
      assert.equal(deleteData.old?.market_id, "btc");
      await client.expectNone(isMessage("finalized"), 300);
    });

    it("keeps transaction order per room and never delivers a rolled-back transaction", async () => {
      await admin.query("BEGIN");
      await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('eth', 'OPEN', 1)");
      await admin.query("ROLLBACK");
      await admin.query("BEGIN");
      await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('eth', 'OPEN', 10)");
      for (let price = 11; price <= 14; price++) await admin.query("UPDATE markets SET price = $1 WHERE market_id = 'eth'", [price]);
      await admin.query("COMMIT");
      const prices: number[] = [];
      for (let index = 0; index < 5; index++) prices.push(Number(((await client.next(isMessage("market:eth"), 10_000)).data as ChangeData).new?.price));
      assert.deepEqual(prices, [10, 11, 12, 13, 14], "the rolled-back price 1 never came, the transaction's changes came in order");
      await client.expectNone(isMessage("market:eth"), 300);
    });

    it("delivers a 100 KB row whole", async () => {
      const note = "n".repeat(100 * 1024);
      await admin.query("INSERT INTO markets (market_id, state, price, note) VALUES ('btc', 'OPEN', 7, $1)", [note]);
      const data = (await client.next(isMessage("market:btc"), 10_000)).data as ChangeData;
      assert.equal((data.new?.note as string).length, 100 * 1024);
      assert.equal(Number(data.new?.price), 7);
    });

    it("publishes a change too large for any frame without its rows, in its place, and goes on", async () => {
      const huge = "h".repeat(2 * 1024 * 1024);
      await admin.query("INSERT INTO markets (market_id, state, price, note) VALUES ('btc', 'OPEN', 8, $1)", [huge]);
      await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('btc', 'OPEN', 9)");
      const stub = (await client.next(isMessage("market:btc"), 10_000)).data as ChangeData & { omitted?: string };
      assert.deepEqual([stub.omitted, stub.new, stub.op], ["too_large", null, "insert"]);
      const next = (await client.next(isMessage("market:btc"), 10_000)).data as ChangeData;
      assert.equal(Number(next.new?.price), 9);
    });

    it("delivers, in order, a backlog of 6,000 changes committed while no node read", async () => {
      await client.ok({ type: "join", room: "market:bulk" });
      await feed.close();
      await admin.query("INSERT INTO markets (market_id, state, price) SELECT 'bulk', 'OPEN', n FROM generate_series(1, 6000) AS n");
      feed = feedFor(node);
      const prices: number[] = [];
      for (let index = 0; index < 6000; index++) prices.push(Number(((await client.next(isMessage("market:bulk"), 30_000)).data as ChangeData).new?.price));
      assert.deepEqual(prices, Array.from({ length: 6000 }, (_, index) => index + 1));
    });

    if (mode === "outbox") {
      it("skips outbox rows whose publication is already in history (a reader that crashed before deleting them)", async () => {
        await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('eth', 'OPEN', 50)");
        const first = (await client.next(isMessage("market:eth"), 10_000)).data as ChangeData;
        await until(async () => ((await drained(mode, admin, "", undefined)) ? true : undefined), "the row to be deleted");
        // Put the published row back, as if the reader had died between publishing and deleting.
        const outbox = feed as OutboxFeed;
        await outbox.close();
        await admin.query("INSERT INTO switchboard_outbox (id, schema_name, table_name, op, new_row, old_row) VALUES ($1, 'public', 'markets', 'insert', $2, NULL)", [first.position, JSON.stringify(first.new)]);
        feed = feedFor(node);
        await until(() => (feed.role === "leader" ? true : undefined), "the new reader");
        await until(async () => ((await drained(mode, admin, "", undefined)) ? true : undefined), "the new reader to delete the row");
        assert.equal((feed as OutboxFeed).counters.duplicates, 1);
        await client.expectNone(isMessage("market:eth"), 300);
      });
    } else {
      it("reports the slot's lag and confirms what it delivered", async () => {
        const lag = await until(() => (feed as LogicalReplicationFeed).lagBytes, "a lag reading");
        assert.equal(typeof lag, "number");
        const target = (await admin.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0]!.lsn;
        await until(async () => ((await drained(mode, admin, "inproc", target)) ? true : undefined), "the slot to confirm everything delivered");
        assert.equal(feed.health().ok, true);
      });

      it("shows a slot that nobody confirms as lag in /metrics and a degraded /health (200)", async () => {
        // A reader that holds the slot and never confirms: the WAL behind it stays.
        await admin.query("SELECT pg_create_logical_replication_slot('stuck', 'pgoutput')");
        const stuck = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
        stuck.on("error", () => undefined);
        const streaming = stuck.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ["inproc"] }), "stuck", "0/0").catch(() => undefined);
        let server: ServerProcess | undefined;
        try {
          server = await startServerProcess({
            SWITCHBOARD_AUTH: "anonymous",
            SWITCHBOARD_WEB: "off",
            SWITCHBOARD_PG_URL: url,
            SWITCHBOARD_PG_FEED_MODE: "logical",
            SWITCHBOARD_PG_FEEDS: JSON.stringify([{ table: "markets", room: "market:{market_id}" }]),
            SWITCHBOARD_PG_SLOT: "stuck",
            SWITCHBOARD_PG_PUBLICATION: "inproc",
            SWITCHBOARD_PG_SLOT_LAG_WARN_BYTES: "1",
            SWITCHBOARD_PG_LEADER_POLL_MS: "100",
          });
          for (let index = 0; index < 20; index++) await admin.query("INSERT INTO markets (market_id, state, price) VALUES ('lag', 'OPEN', $1)", [index]);
          const base = `http://127.0.0.1:${server.port}`;
          const health = await until(async () => {
            const response = await fetch(`${base}/health`);
            const report = (await response.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
            return report.status === "degraded" && /holds .* of WAL/.test(report.checks["postgres-change-feed"]?.detail ?? "") ? { status: response.status, report } : undefined;
          }, "a degraded /health", 20_000);
          assert.equal(health.status, 200, "degraded, still serving");
          assert.equal(health.report.checks["postgres-change-feed"]?.ok, false);
          const metrics = await (await fetch(`${base}/metrics`)).text();
          const lag = /^switchboard_pg_feed_slot_lag_bytes\{slot="stuck"\} (\d+)/m.exec(metrics);
          assert.ok(lag !== null && Number(lag[1]) > 0, "the slot's lag is a metric");
        } finally {
          await server?.stop("SIGKILL");
          await stuck.destroy();
          await streaming;
          await admin.query("SELECT pg_drop_replication_slot('stuck')").catch(() => undefined);
        }
      });
    }
  });

  describe(`${mode} mode, switchboard start nodes killed while 1,000 changes are committed`, () => {
    const ROOMS = 20;
    const CHANGES = 1_000;
    let url: string;
    let admin: pg.Client;
    const nodes = new Set<ServerProcess>();
    const everyNode: ServerProcess[] = [];

    const env = (): Record<string, string> => ({
      SWITCHBOARD_AUTH: "anonymous",
      SWITCHBOARD_LOG_LEVEL: "info",
      SWITCHBOARD_REDIS_URL: redis.url,
      SWITCHBOARD_REDIS_KEY_PREFIX: "crash:",
      SWITCHBOARD_PG_URL: url,
      SWITCHBOARD_PG_FEED_MODE: mode,
      SWITCHBOARD_PG_FEEDS: JSON.stringify([{ table: "ticks", room: "tick:{room_id}", event: "tick" }]),
      SWITCHBOARD_PG_LEADER_POLL_MS: "100",
      SWITCHBOARD_PG_OUTBOX_POLL_MS: "200",
      SWITCHBOARD_PG_SLOT: "crash",
      SWITCHBOARD_PG_PUBLICATION: "crash",
      SWITCHBOARD_WEB: "off",
    });
    const startNode = async (): Promise<ServerProcess> => {
      const node = await startServerProcess(env());
      nodes.add(node);
      everyNode.push(node);
      return node;
    };
    const kill = async (node: ServerProcess): Promise<void> => {
      nodes.delete(node);
      await node.stop("SIGKILL");
    };
    const feedDetail = async (node: ServerProcess): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${node.port}/health`).catch(() => undefined);
      const report = (await response?.json().catch(() => undefined)) as { checks?: Record<string, { detail?: string }> } | undefined;
      return report?.checks?.["postgres-change-feed"]?.detail ?? "";
    };
    const reader = (): Promise<ServerProcess> =>
      until(async () => {
        for (const node of nodes) if (/^(reading|streaming)/.test(await feedDetail(node))) return node;
        return undefined;
      }, "a node to read the feed");

    before(async () => {
      url = await postgres.createDatabase("crash");
      await prepareDatabase(mode, url);
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
    });
    after(async () => {
      await Promise.all([...nodes].map((node) => node.stop("SIGKILL")));
      await admin?.end();
    });

    it("delivers every change exactly once and in order per room to a client that recovers with since", async () => {
      await Promise.all([startNode(), startNode()]);
      const firstReader = await reader();
      // The client: joined to every room, reconnecting to a live node and rejoining with `since` when its node dies.
      const seen = new Map<string, number[]>();
      const positions = new Map<string, { offset: number; epoch: string }>();
      let client: TestClient | undefined;
      let recoveries = 0;
      let unrecovered = 0;
      let stopped = false;
      const attach = async (): Promise<void> => {
        for (let attempt = 0; attempt < 400 && !stopped; attempt++) {
          const live = [...nodes];
          const target = live[attempt % Math.max(1, live.length)];
          try {
            if (target === undefined) throw new Error("no node");
            const next = await connect(target.url);
            next.ws.on("message", (raw) => {
              const frame = JSON.parse(raw.toString()) as Frame;
              if (frame.type !== "message") return;
              const room = frame.room as string;
              positions.set(room, { offset: frame.offset as number, epoch: positions.get(room)?.epoch ?? "" });
              const list = seen.get(room) ?? [];
              list.push((frame.data as ChangeData).new?.seq as number);
              seen.set(room, list);
            });
            for (let room = 0; room < ROOMS; room++) {
              const name = `tick:${room}`;
              const since = positions.get(name);
              const reply = await next.ok({ type: "join", room: name, ...(since === undefined ? {} : { since }) });
              if (since === undefined) positions.set(name, { offset: reply.offset as number, epoch: reply.epoch as string });
              else if (reply.recovered === true) recoveries++;
              else unrecovered++;
              const known = positions.get(name)!;
              if (known.epoch === "") known.epoch = reply.epoch as string;
            }
            client = next;
            void next.closed.then(() => {
              if (!stopped) void attach();
            });
            return;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      await attach();

      // 1,000 single-change transactions at a steady rate (one every 10 ms), while nodes are killed.
      let committed = 0;
      const writer = (async () => {
        const start = Date.now();
        for (let index = 0; index < CHANGES; index++) {
          const wait = start + index * 10 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await admin.query("INSERT INTO ticks (room_id, seq) VALUES ($1, $2)", [index % ROOMS, Math.floor(index / ROOMS) + 1]);
          committed++;
        }
      })();
      const progress = (count: number): Promise<true> => until(() => (committed >= count ? true : undefined), `${count} commits`, 60_000);

      await progress(150);
      const [standby] = [...nodes].filter((node) => node !== firstReader);
      await kill(firstReader); // the reading node dies: the standby takes over (failover between two nodes)
      assert.equal(await reader(), standby, "the standby node reads now");
      await progress(500);
      await Promise.all([...nodes].map((node) => kill(node))); // every node down for 5 s
      const committedAtOutage = committed;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const committedInOutage = committed - committedAtOutage;
      await Promise.all([startNode(), startNode()]);
      await writer;

      const target = (await admin.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0]!.lsn;
      await until(async () => ((await drained(mode, admin, "crash", target)) ? true : undefined), "the feed to confirm every change", 60_000);
      const perRoom = CHANGES / ROOMS;
      const total = (): number => [...seen.values()].reduce((sum, list) => sum + list.length, 0);
      await until(() => (total() >= CHANGES ? true : undefined), "the client to receive every change", 30_000).catch(async (error: unknown) => {
        const probe = await connect([...nodes][0]!.url);
        const short = [...seen].filter(([, list]) => list.length < CHANGES / ROOMS);
        const details: string[] = [];
        for (const [room, list] of short) {
          const page = await probe.ok({ type: "history", room, limit: 1000 });
          details.push(`${room}: got ${list.join(",")}; history ${(page.messages as Frame[]).map((frame) => `${frame.offset as number}:${(frame.data as ChangeData).new?.seq as number}`).join(",")}; last seen position ${JSON.stringify(positions.get(room))}`);
        }
        await probe.close();
        const logs = everyNode.map((node, index) => `node ${index}:\n${node.output().split("\n").filter((line) => /change feed|warn|error/i.test(line)).join("\n")}`);
        throw new Error(`${details.join("\n")}\n${logs.join("\n")}\n` + `${String(error)}: ${total()} received, ${recoveries} recovered rejoins, ${unrecovered} unrecovered, client open: ${client?.ws.readyState === 1}, nodes: ${nodes.size}; ${[...seen].map(([room, list]) => `${room}=${list.length}`).join(" ")}`);
      });
      stopped = true;
      await client?.close();

      assert.ok(committedInOutage > 0, "changes were committed while every node was down");
      assert.equal(unrecovered, 0, "every rejoin recovered the gap");
      assert.ok(recoveries > 0, "the client rejoined with since");
      const expected = Array.from({ length: perRoom }, (_, index) => index + 1);
      for (let room = 0; room < ROOMS; room++) assert.deepEqual(seen.get(`tick:${room}`), expected, `room tick:${room}: each change once, in order`);
    });
  });
}

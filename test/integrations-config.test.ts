import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import pg from "pg";
import { verifyRequest } from "switchboard";
import { ConfigError, loadServerConfig } from "../src/config/server-config.js";
import { connect } from "./support/client.js";
import { TestBackend } from "./support/http-backend.js";
import { startServerProcess } from "./support/process.js";

const PG_URL = process.env.SWITCHBOARD_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SECRET = "integration-secret-0123456789";

describe("integrations from configuration alone", () => {
  it("validates the settings and names the environment variable", () => {
    assert.throws(() => loadServerConfig({ SWITCHBOARD_PG_URL: PG_URL }), (error: unknown) => error instanceof ConfigError && /SWITCHBOARD_PG_FEEDS/.test(error.message));
    assert.throws(() => loadServerConfig({ SWITCHBOARD_PG_URL: PG_URL, SWITCHBOARD_PG_FEEDS: "[{" }), /SWITCHBOARD_PG_FEEDS \(config file: pgFeeds\): must be a JSON array/);
    assert.throws(() => loadServerConfig({ SWITCHBOARD_PROXY_URL: "http://127.0.0.1:1/x", SWITCHBOARD_PROXY_EVENTS: "order.*" }), /SWITCHBOARD_INTEGRATION_SECRET/);
    const config = loadServerConfig({ SWITCHBOARD_PG_URL: PG_URL, SWITCHBOARD_PG_FEEDS: '[{"channel":"c","room":"market:{market_id}"}]', SWITCHBOARD_WEBHOOK_EVENTS: "join,leave", SWITCHBOARD_INTEGRATION_SECRET: SECRET, SWITCHBOARD_WEBHOOK_URL: "http://127.0.0.1:1/hooks" });
    assert.deepEqual(config.pgFeeds, [{ channel: "c", room: "market:{market_id}" }]);
    assert.deepEqual(config.webhookEvents, ["join", "leave"]);
  });

  it("runs the change feed, proxy and webhooks in `switchboard start` from env settings", async () => {
    const suffix = randomBytes(4).toString("hex");
    const schema = `sb_cfg_${suffix}`;
    const channel = `sb_cfg_${suffix}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const backend = await new TestBackend((request) => {
      if (request.path === "/hooks") return { status: 204 };
      return verifyRequest(SECRET, request.headers, request.raw) ? { body: { reply: { echoed: request.body.data, userId: request.body.userId } } } : { status: 401 };
    }).start();
    let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
      await admin.query(readFileSync(new URL("../src/integrations/sql/switchboard-notify.sql", import.meta.url), "utf8"));
      await admin.query(`CREATE TABLE ${schema}.trades (id serial PRIMARY KEY, market_id text NOT NULL, qty int NOT NULL)`);
      await admin.query(`CREATE TRIGGER trades_sb AFTER INSERT ON ${schema}.trades FOR EACH ROW EXECUTE FUNCTION ${schema}.switchboard_notify('${channel}', 'id,market_id')`);
      server = await startServerProcess({
        SWITCHBOARD_AUTH: "anonymous",
        SWITCHBOARD_PG_URL: PG_URL,
        SWITCHBOARD_PG_FEEDS: JSON.stringify([{ channel, room: "market:{market_id}", event: "trade", deliver: "event" }]),
        SWITCHBOARD_INTEGRATION_SECRET: SECRET,
        SWITCHBOARD_PROXY_URL: `${backend.url}/proxy`,
        SWITCHBOARD_PROXY_EVENTS: "echo.*",
        SWITCHBOARD_WEBHOOK_URL: `${backend.url}/hooks`,
      });
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "market:btc" });
      assert.deepEqual(await client.ok({ type: "echo.say", data: "hi" }), { echoed: "hi", userId: null });
      // The feed connects in the background; retry the insert until one arrives (bounded).
      const listening = async (): Promise<boolean> =>
        (await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'switchboard-change-feed' AND query ILIKE $1", [`LISTEN "${channel}"%`])).rowCount === 1;
      const deadline = Date.now() + 10_000;
      while (!(await listening())) {
        if (Date.now() > deadline) throw new Error(`the change feed never listened:\n${server.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await admin.query(`INSERT INTO ${schema}.trades (market_id, qty) VALUES ('btc', 3)`);
      const trade = await client.nextOfType("trade", 5_000);
      assert.equal(trade.room, "market:btc");
      assert.equal((trade.data as { new: { qty: number } }).new.qty, 3);
      await client.close();
      assert.equal(await server.stop(), 0);
      const hooked = backend.on("/hooks").flatMap((request) => (request.body.events as Array<{ type: string }>).map((event) => event.type));
      assert.deepEqual(hooked.sort(), ["connect", "disconnect", "join", "leave"], "webhooks flushed on shutdown");
    } finally {
      await server?.stop();
      await backend.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
    }
  });
});

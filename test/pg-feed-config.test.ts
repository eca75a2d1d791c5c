import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { LogicalReplicationFeed, OutboxFeed, PgChangeFeed, createSwitchboard } from "switchboard";
import { ConfigError, loadServerConfig } from "../src/config/server-config.js";
import { INTEGRATION_ENVIRONMENT_VARIABLES } from "../src/integrations/integration-config.js";

const URL_ = "postgres://postgres@127.0.0.1:1/app";
const feeds = (value: unknown): string => JSON.stringify(value);

describe("change feed settings", () => {
  it("takes a mode, and table mappings with operations and row filters in the outbox and logical modes", () => {
    const config = loadServerConfig({
      SWITCHBOARD_PG_URL: URL_,
      SWITCHBOARD_PG_FEED_MODE: "outbox",
      SWITCHBOARD_PG_FEEDS: feeds([{ table: "public.markets", room: "market:{market_id}", ops: ["update"], filter: { state: ["OPEN", "FINALIZED"], live: true } }]),
      SWITCHBOARD_PG_OUTBOX_POLL_MS: "250",
    });
    assert.equal(config.pgFeedMode, "outbox");
    assert.equal(config.pgOutboxPollMs, 250);
    assert.deepEqual(config.pgFeeds, [{ table: "public.markets", room: "market:{market_id}", ops: ["update"], filter: { state: ["OPEN", "FINALIZED"], live: true } }]);
    const logical = loadServerConfig({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEED_MODE: "logical", SWITCHBOARD_PG_FEEDS: feeds([{ table: "markets", room: "m" }]), SWITCHBOARD_PG_SLOT: "feed_1", SWITCHBOARD_PG_SLOT_LAG_WARN_BYTES: "1048576" });
    assert.deepEqual([logical.pgSlot, logical.pgPublication, logical.pgSlotLagWarnBytes], ["feed_1", "switchboard", 1_048_576]);
    assert.equal(loadServerConfig({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEEDS: feeds([{ channel: "c", room: "r" }]) }).pgFeedMode, "notify", "notify stays the default");
  });

  it("names the setting when a mapping does not fit the mode", () => {
    const fails = (env: Record<string, string>, pattern: RegExp): void => assert.throws(() => loadServerConfig(env), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    fails({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEED_MODE: "outbox", SWITCHBOARD_PG_FEEDS: feeds([{ channel: "c", room: "r" }]) }, /SWITCHBOARD_PG_FEEDS.*needs a "table" in SWITCHBOARD_PG_FEED_MODE=outbox/);
    fails({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEEDS: feeds([{ table: "markets", room: "r" }]) }, /needs a "channel" in SWITCHBOARD_PG_FEED_MODE=notify/);
    fails({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEED_MODE: "wal", SWITCHBOARD_PG_FEEDS: feeds([{ table: "t", room: "r" }]) }, /SWITCHBOARD_PG_FEED_MODE/);
    fails({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEED_MODE: "logical", SWITCHBOARD_PG_FEEDS: feeds([{ table: "t", room: "r" }]), SWITCHBOARD_PG_SLOT: "Bad-Slot" }, /SWITCHBOARD_PG_SLOT/);
    fails({ SWITCHBOARD_PG_URL: URL_, SWITCHBOARD_PG_FEED_MODE: "outbox", SWITCHBOARD_PG_FEEDS: feeds([{ table: "t", room: "r", filter: { a: { nested: 1 } } }]) }, /SWITCHBOARD_PG_FEEDS/);
  });

  it("validates library options once, with a message naming the option", () => {
    const sb = createSwitchboard({ auth: { anonymous: true } });
    try {
      assert.throws(() => new OutboxFeed(sb, { connectionString: URL_, mappings: [] }), /OutboxFeed: "mappings" needs at least one/);
      assert.throws(() => new OutboxFeed(sb, { connectionString: URL_, mappings: [{ table: "a.b.c", room: "r" }] }), /"table"/);
      assert.throws(() => new OutboxFeed(sb, { connectionString: URL_, mappings: [{ table: "t", room: "r" }], table: "x; DROP" }), /"table" must be a plain/);
      assert.throws(() => new LogicalReplicationFeed(sb, { connectionString: URL_, mappings: [{ table: "t", room: "r", ops: ["upsert" as "insert"] }] }), /"ops"/);
      assert.throws(() => new LogicalReplicationFeed(sb, { connectionString: URL_, mappings: [{ table: "t", room: "r" }], slot: "Upper" }), /"slot"/);
      assert.throws(() => new PgChangeFeed(sb, { connectionString: URL_, mappings: [{ channel: "c", room: "r", filter: { a: [{}] as unknown as string[] } }] }), /filter on "a"/);
    } finally {
      void sb.close();
    }
  });

  it("documents every change-feed environment variable in docs/integrations.md", () => {
    const doc = readFileSync(new URL("../docs/integrations.md", import.meta.url), "utf8");
    for (const [key, names] of Object.entries(INTEGRATION_ENVIRONMENT_VARIABLES)) {
      if (!key.startsWith("pg")) continue;
      for (const name of names) assert.ok(doc.includes(`| \`${name}\` | \`${key}\` |`), `${name} (${key}) is in the settings table`);
    }
  });
});

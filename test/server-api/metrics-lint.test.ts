import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { startApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";
import { startServerProcess } from "../support/process.js";

/** Prometheus's own linter (Debian's prometheus package; .ci/run installs it where it is missing). */
function promtool(exposition: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8", timeout: 15_000 });
  if (result.error !== undefined) throw new Error(`promtool could not run (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe("/metrics under promtool check metrics", () => {
  it("is clean on `switchboard start` after traffic, and shows no change-feed metric without a feed", async () => {
    const server = await startServerProcess({ SWITCHBOARD_AUTH: "anonymous" });
    try {
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "metrics:lint" });
      await client.ok({ type: "publish", room: "metrics:lint", data: { n: 1 } });
      await client.request({ type: "no-such-command" });
      await client.close();
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(text, /^switchboard_disconnects_total\{code="1000"\} 1$/m, "the traffic is in the output");
      assert.deepEqual(promtool(text), { status: 0, output: "" });
      assert.doesNotMatch(text, /switchboard_pg_feed_/);
    } finally {
      await server.stop();
    }
  });

  it("is clean with a change feed configured, whose metrics then appear", async () => {
    // A feed whose database is unreachable is still a configured feed: its gauge reads 0.
    const server = await startApiServer({ SWITCHBOARD_PG_URL: "postgres://switchboard@127.0.0.1:1/test", SWITCHBOARD_PG_FEEDS: '[{"channel":"nowhere","room":"r:{id}"}]' });
    try {
      const text = (await server.call("GET", "/metrics", undefined, null)).text;
      assert.match(text, /^switchboard_pg_feed_connected 0$/m);
      assert.match(text, /^# TYPE switchboard_pg_feed_delivered_total counter$/m);
      assert.deepEqual(promtool(text), { status: 0, output: "" });
    } finally {
      await server.close();
    }
  });
});

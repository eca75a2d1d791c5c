import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "./support/client.js";
import { launch, userEnv } from "./support/launch.js";
import type { Launched } from "./support/launch.js";
import { freePort, startServerProcess } from "./support/process.js";
import { waitGone } from "./support/process-tree.js";

/** The server's own deadline (closeOnSignals) plus room for the processes to be reaped. */
const DRAIN_DEADLINE_MS = 15_000;

describe("signals through npm start", { timeout: 120_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to the pid of npm start shuts the server down gracefully and leaves no process behind`, async () => {
      const port = await freePort();
      let started: Launched | undefined;
      try {
        started = await launch("npm", ["start"], { env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port) }), ready: /Switchboard listening/ });
        const client = await connect(`ws://127.0.0.1:${port}/ws`);
        await client.ok({ type: "join", room: "chat:signals" });
        const tree = started.tree();
        assert.ok(tree.length >= 2, "npm and the server it started");
        started.child.kill(signal);
        assert.equal((await client.closed).code, 1001);
        await waitGone(tree, DRAIN_DEADLINE_MS);
        assert.match(started.output(), /shutting down/);
      } finally {
        started?.kill();
      }
    });
  }

  it("SIGHUP shuts down gracefully too (no reload), closing clients with 1001 and exiting 0", async () => {
    const server = await startServerProcess();
    try {
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "chat:hup" });
      const code = await server.stop("SIGHUP");
      assert.equal((await client.closed).code, 1001);
      assert.equal(code, 0);
      assert.match(server.output(), /"signal":"SIGHUP"/);
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

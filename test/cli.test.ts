import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "./support/client.js";
import { runCli, startServerProcess } from "./support/process.js";

describe("switchboard start", () => {
  it("starts, logs where it listens and how auth is configured, and exits cleanly on SIGTERM closing clients with 1001", async () => {
    const server = await startServerProcess();
    try {
      assert.match(server.output(), new RegExp(`ws://127.0.0.1:${server.port}/ws`));
      assert.match(server.output(), /AUTH IS OFF/);
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "x" });
      const code = await server.stop("SIGTERM");
      assert.equal((await client.closed).code, 1001);
      assert.equal(code, 0);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  it("describes JWT auth at startup without printing the secret", async () => {
    const secret = "a-very-secret-value-0123456789";
    const server = await startServerProcess({ SWITCHBOARD_JWT_SECRET: secret });
    try {
      assert.match(server.output(), /JWT \(HS256 shared secret\)/);
      assert.ok(!server.output().includes(secret));
    } finally {
      await server.stop();
    }
  });

  it("stops with a message naming a bad setting", async () => {
    const result = await runCli(["start"], { SWITCHBOARD_MAX_PAYLOAD: "lots", SWITCHBOARD_PORT: "0" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /SWITCHBOARD_MAX_PAYLOAD/);
  });

  it("refuses to start in production without an explicit auth choice", async () => {
    const result = await runCli(["start"], { NODE_ENV: "production", SWITCHBOARD_PORT: "0" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /SWITCHBOARD_AUTH/);
  });

  it("answers unknown commands and flags with usage and exit code 2", async () => {
    assert.equal((await runCli(["frobnicate"])).code, 2);
    const badFlag = await runCli(["start", "--no-such-flag"]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /no-such-flag/);
  });
});

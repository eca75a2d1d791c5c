import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import { connect } from "switchboard/client";
import { runNodeClient } from "../../examples/node-client.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

describe("client examples", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("node-client.ts joins, publishes and receives its own message", async () => {
    mock.method(console, "log", () => {});
    const { client, received } = await runNodeClient(server.url);
    try {
      await waitFor(() => received.length === 1, "the echoed message");
      assert.deepEqual(received, [{ text: "hello from node" }]);
    } finally {
      mock.restoreAll();
      await client.close();
    }
  });

});

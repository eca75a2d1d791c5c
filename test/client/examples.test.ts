import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import { connect } from "switchboard/client";
import { runNodeClient } from "../../examples/node-client.js";
import { subscribeRoom } from "../../examples/room-subscription.js";
import type { RoomSnapshot } from "../../examples/room-subscription.js";
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

  it("room-subscription.ts (behind useRoom) reports joined, messages, and leaves on cleanup", async () => {
    const client = connect(server.url);
    let snapshot: RoomSnapshot<{ n: number }> | undefined;
    const cleanup = subscribeRoom<{ n: number }>(client, "chat:hook", (next) => (snapshot = next), 2);
    try {
      await waitFor(() => snapshot?.status === "joined", "joined");
      for (const n of [1, 2, 3]) await server.sb.publish("chat:hook", { n });
      await waitFor(() => snapshot!.messages.at(-1)?.n === 3, "three messages");
      assert.deepEqual(snapshot!.messages, [{ n: 2 }, { n: 3 }]);
      assert.equal(snapshot!.connection, "connected");
      cleanup();
      await waitFor(() => client.room("chat:hook") === undefined, "the room left");
    } finally {
      await client.close();
    }
  });
});

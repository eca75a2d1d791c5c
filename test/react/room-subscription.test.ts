import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "switchboard/client";
import { subscribeRoom } from "switchboard/react";
import type { RoomSnapshot } from "switchboard/react";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

describe("subscribeRoom (the room logic behind useRoom)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("reports joined, keeps the last messages and the member list, and leaves on cleanup", async () => {
    const client = connect(server.url);
    const other = connect(server.url);
    let snapshot: RoomSnapshot<{ n: number }> | undefined;
    const cleanup = subscribeRoom<{ n: number }>(client, "chat:hook", (next) => (snapshot = next), { keep: 2 });
    try {
      await waitFor(() => snapshot?.status === "joined", "joined");
      assert.equal(snapshot!.members.length, 1);
      for (const n of [1, 2, 3]) await server.sb.publish("chat:hook", { n });
      await waitFor(() => snapshot!.messages.at(-1)?.n === 3, "three messages");
      assert.deepEqual(snapshot!.messages, [{ n: 2 }, { n: 3 }]);
      assert.equal(snapshot!.connection, "connected");

      const joined = await other.join("chat:hook");
      await waitFor(() => snapshot!.members.reduce((sum, member) => sum + member.connections, 0) === 2, "the second member");
      await joined.leave();
      await waitFor(() => snapshot!.members.reduce((sum, member) => sum + member.connections, 0) === 1, "the second member gone");

      cleanup();
      await waitFor(() => client.room("chat:hook") === undefined, "the room left");
    } finally {
      await Promise.all([client.close(), other.close()]);
    }
  });

  it("keeps a room two subscriptions share until the last one cleans up, even when one cleans up while joining", async () => {
    const client = connect(server.url);
    try {
      const seen: Array<RoomSnapshot<{ n: number }>> = [];
      // Mounted and unmounted at once, as React StrictMode does with effects.
      subscribeRoom<{ n: number }>(client, "chat:shared", () => undefined)();
      const first = subscribeRoom<{ n: number }>(client, "chat:shared", (next) => seen.push(next));
      const second = subscribeRoom<{ n: number }>(client, "chat:shared", () => undefined);
      await waitFor(() => seen.at(-1)?.status === "joined", "joined");
      await waitFor(() => client.room("chat:shared") !== undefined, "the room joined");
      second();
      await server.sb.publish("chat:shared", { n: 1 });
      await waitFor(() => seen.at(-1)?.messages.length === 1, "the message after the second cleanup");
      assert.ok(client.room("chat:shared") !== undefined, "still joined for the first subscription");
      first();
      await waitFor(() => client.room("chat:shared") === undefined, "left after the last cleanup");
    } finally {
      await client.close();
    }
  });

  it("reports a refused join as status error", async () => {
    const client = connect(server.url);
    let snapshot: RoomSnapshot<unknown> | undefined;
    const cleanup = subscribeRoom(client, "", (next) => (snapshot = next));
    try {
      await waitFor(() => snapshot?.status === "error", "the error");
      assert.ok(snapshot!.error instanceof Error);
    } finally {
      cleanup();
      await client.close();
    }
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { SwitchboardClientError, connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";
import { FAST_RECONNECT, StateLog, connected } from "./support.js";

interface Events {
  match_found: { matchId: string; players: string[] };
}

interface Requests {
  echo: { data: { text: string }; reply: { text: string } };
  "lobby:create": { data: { name: string }; reply: { room: string } };
  hold: { data: Record<string, never>; reply: null };
}

async function rejection(promise: Promise<unknown>): Promise<SwitchboardClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwitchboardClientError, `expected a SwitchboardClientError, got ${String(error)}`);
    return error;
  }
  throw new Error("expected the promise to reject");
}

describe("client requests and events", () => {
  let server: TestServer;
  const releases: Array<() => void> = [];
  const clients: SwitchboardClient<object, object>[] = [];

  function open(): SwitchboardClient<Events, Requests> {
    const client = connect<Events, Requests>(server.url, { reconnect: FAST_RECONNECT });
    clients.push(client);
    return client;
  }

  before(async () => {
    server = await startTestServer();
    server.sb.handle("echo", (_ctx, data) => data);
    server.sb.handle("lobby:create", z.object({ name: z.string().min(1) }), (ctx, data) => {
      ctx.emit("match_found", { matchId: `m-${data.name}`, players: [ctx.connectionId] });
      return { room: `lobby:${data.name}` };
    });
    // Answers only when the test lets it, so a request can be caught in flight.
    server.sb.handle("hold", () => new Promise((resolve) => releases.push(() => resolve(null))));
  });
  after(async () => {
    for (const release of releases) release();
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  it("resolves with the handler's reply and delivers typed custom events", async () => {
    const client = open();
    const found = new Promise<{ matchId: string; players: string[] }>((resolve) => client.on("match_found", (data) => resolve(data)));
    assert.deepEqual(await client.request("echo", { text: "hi" }), { text: "hi" });
    const reply = await client.request("lobby:create", { name: "alpha" });
    assert.equal(reply.room, "lobby:alpha");
    const match = await found;
    assert.equal(match.matchId, "m-alpha");
    assert.deepEqual(match.players, [client.welcome?.connectionId]);
  });

  it("rejects with the server's error code and details", async () => {
    const client = open();
    const invalid = await rejection(client.request("lobby:create", { name: "" }));
    assert.equal(invalid.code, "invalid_payload");
    assert.ok(Array.isArray(invalid.details));
    const unknown = await rejection((client as unknown as SwitchboardClient).request("no:such:type", {}));
    assert.equal(unknown.code, "unknown_type");
  });

  it("rejects with timeout when no reply comes in time", async () => {
    const client = open();
    await connected(client);
    const error = await rejection(client.request("hold", {}, { timeout: 100 }));
    assert.equal(error.code, "timeout");
    // The connection is still usable.
    assert.deepEqual(await client.request("echo", { text: "after" }), { text: "after" });
  });

  it("fails requests in flight with disconnected when the connection drops, then reconnects", async () => {
    const client = open();
    const log = new StateLog(client);
    await connected(client);
    const firstConnection = client.welcome!.connectionId;
    const held = releases.length;
    const pending = client.request("hold", {}, { timeout: 30_000 });
    await waitFor(() => releases.length > held, "the handler to hold the request");
    await server.sb.disconnect({ connectionId: firstConnection });
    const error = await rejection(pending);
    assert.equal(error.code, "disconnected");
    const reconnecting = await log.wait("reconnecting");
    assert.equal(reconnecting.info.code, 4009);
    await log.wait("connected", reconnecting.index);
    assert.notEqual(client.welcome!.connectionId, firstConnection);
    assert.deepEqual(await client.request("echo", { text: "back" }), { text: "back" });
  });

  it("types events and requests from the declared maps", () => {
    // Compile-time checks only (tsc runs over the tests); never executed.
    const typed = (client: SwitchboardClient<Events, Requests>): void => {
      client.on("match_found", (data) => data.players.join());
      client.on("state", (state, info) => `${state}${info.code ?? ""}`);
      // @ts-expect-error: not a declared event
      client.on("no_such_event", () => {});
      // @ts-expect-error: wrong payload
      void client.request("echo", { text: 1 });
      // @ts-expect-error: not a declared request
      void client.request("nope", {});
      void client.request("lobby:create", { name: "x" }).then((reply) => reply.room.toUpperCase());
    };
    assert.equal(typeof typed, "function");
  });
});

describe("client URLs", () => {
  it("throws from connect() for a URL that is not ws(s) or http(s), and maps http to ws", async () => {
    assert.throws(() => connect("not a url"), TypeError);
    assert.throws(() => connect("ftp://127.0.0.1/ws"), TypeError);
    const server = await startTestServer();
    const client = connect(server.url.replace("ws://", "http://"));
    try {
      assert.ok(client.url.startsWith("ws://"));
      await connected(client);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

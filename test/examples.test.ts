import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { startExpressExample } from "../examples/express.js";
import { startFastifyExample } from "../examples/fastify.js";
import { startHandleUpgradeExample } from "../examples/handle-upgrade.js";
import { startPlainHttpExample } from "../examples/plain-http.js";
import { connect } from "./support/client.js";

describe("embedding examples", () => {
  it("plain http: serves its own routes and WebSockets on one port", async () => {
    const { server, sb } = await startPlainHttpExample(0);
    const port = (server.address() as AddressInfo).port;
    try {
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/page`)).text(), "hello from /page\n");
      const watcher = await connect(`ws://127.0.0.1:${port}/ws`);
      const creator = await connect(`ws://127.0.0.1:${port}/ws`);
      assert.deepEqual(await creator.ok({ type: "lobby:create", data: { name: "alpha" } }), { room: "lobby:alpha" });
      assert.deepEqual((await watcher.nextOfType("lobby_created")).data, { room: "lobby:alpha" });
      const missing = await creator.request({ type: "lobby:create", data: {} });
      assert.equal((missing.error as { code: string }).code, "invalid_payload");
      await Promise.all([watcher.close(), creator.close()]);
    } finally {
      await sb.close();
      server.close();
    }
  });

  it("express: REST route pushes to WebSocket clients; type+action handler publishes", async () => {
    const { server, sb } = await startExpressExample(0);
    const port = (server.address() as AddressInfo).port;
    try {
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      await client.ok({ type: "join", room: "general" });
      const reply = await client.ok({ type: "chat", action: "send", data: { room: "general", text: "hi" } });
      assert.equal(reply.offset, 1);
      assert.equal(((await client.nextOfType("message")).data as { text: string }).text, "hi");
      const response = await fetch(`http://127.0.0.1:${port}/announce`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "deploy at 5" }) });
      assert.equal(response.status, 200);
      assert.deepEqual((await client.nextOfType("announcement")).data, { text: "deploy at 5" });
      await client.close();
    } finally {
      await sb.close();
      server.close();
    }
  });

  it("fastify: WebSockets on fastify.server and routes reading Switchboard state", async () => {
    const { app } = await startFastifyExample(0);
    const port = (app.server.address() as AddressInfo).port;
    try {
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      assert.deepEqual(await client.ok({ type: "queue:join", data: { mode: "ranked" } }), { position: 1 });
      const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { connections: number; rooms: number };
      assert.equal(stats.connections, 1);
      assert.equal(stats.rooms, 1);
      await client.close();
    } finally {
      await app.close();
    }
  });

  it("handleUpgrade: the server routes upgrades itself", async () => {
    const { server, sb } = await startHandleUpgradeExample(0);
    const port = (server.address() as AddressInfo).port;
    try {
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      assert.equal(client.welcome!.type, "welcome");
      await client.close();
      await assert.rejects(connect(`ws://127.0.0.1:${port}/elsewhere`));
    } finally {
      await sb.close();
      server.close();
    }
  });
});

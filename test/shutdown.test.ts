import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { describe, it } from "node:test";
import { pino } from "pino";
import WebSocket from "ws";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";
import { connect } from "./support/client.js";
import type { TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";

/** Tries an upgrade; resolves with the HTTP status and Retry-After of a refusal (101 when accepted). */
function tryUpgrade(url: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer to the upgrade at ${url}`));
    }, 5_000);
    ws.once("unexpected-response", (_request, response) => {
      clearTimeout(timer);
      const retryAfter = response.headers["retry-after"];
      response.resume();
      resolve({ status: response.statusCode ?? -1, retryAfter: typeof retryAfter === "string" ? retryAfter : undefined });
      ws.terminate();
    });
    ws.once("open", () => {
      clearTimeout(timer);
      ws.terminate();
      resolve({ status: 101, retryAfter: undefined });
    });
    ws.once("error", () => undefined);
  });
}

/** A client that stops reading, so the server's close handshake with it only ends at the deadline. */
function stall(client: TestClient): () => void {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return () => {
    socket.resume();
    client.ws.terminate();
  };
}

function newSwitchboard(): Switchboard {
  return createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: process.env.TEST_LOGS ?? "silent" }), shutdownTimeoutMs: 1_000 });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe("shutdown: upgrades during and after close() get 503 with Retry-After", () => {
  it("in attach() mode, while draining and after close() resolved", async () => {
    const sb = newSwitchboard();
    const server = createServer((_request, response) => response.end("app"));
    sb.attach(server);
    const port = await listen(server);
    const url = `ws://127.0.0.1:${port}/ws`;
    const client = await connect(url);
    const release = stall(client);
    const closing = sb.close();
    assert.deepEqual(await tryUpgrade(url), { status: 503, retryAfter: "1" });
    await closing;
    assert.deepEqual(await tryUpgrade(url), { status: 503, retryAfter: "1" });
    release();
    await closeServer(server);
  });

  it("in handleUpgrade() mode", async () => {
    const sb = newSwitchboard();
    const server = createServer();
    server.on("upgrade", (request, socket, head) => sb.handleUpgrade(request, socket, head));
    const port = await listen(server);
    const url = `ws://127.0.0.1:${port}/`;
    const client = await connect(url);
    const release = stall(client);
    const closing = sb.close();
    assert.deepEqual(await tryUpgrade(url), { status: 503, retryAfter: "1" });
    await closing;
    release();
    await closeServer(server);
  });

  it("in standalone listen() mode, until the server stops listening", async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 1_000 });
    const client = await connect(server.url);
    const release = stall(client);
    const closing = server.close();
    assert.deepEqual(await tryUpgrade(server.url), { status: 503, retryAfter: "1" });
    await closing;
    release();
  });
});

describe("shutdown waits for every connection's cleanup and listeners", () => {
  it("resolves only after every async leave and disconnect listener finished, the slowest one too", async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 2_000 });
    const finished: string[] = [];
    server.sb.on("leave", async (connection, room) => {
      // The first connection's listener is the slow one: the node is empty long before it ends.
      await new Promise((resolve) => setTimeout(resolve, finished.length === 0 && room === "a" ? 300 : 10));
      finished.push(`leave:${connection.id}`);
    });
    server.sb.on("disconnect", async (connection) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished.push(`disconnect:${connection.id}`);
    });
    const clients = [await connect(server.url), await connect(server.url), await connect(server.url)];
    await clients[0]!.ok({ type: "join", room: "a" });
    for (const client of clients.slice(1)) await client.ok({ type: "join", room: "b" });
    await server.close();
    const expected = clients.flatMap((client) => [`leave:${client.connectionId}`, `disconnect:${client.connectionId}`]);
    assert.deepEqual(new Set(finished), new Set(expected));
  });

  it("a connection ended by the server API, a missed heartbeat or the client runs the same leave and disconnect", async () => {
    const server = await startTestServer({ heartbeatMs: 150 });
    try {
      const seen: string[] = [];
      server.sb.on("leave", (connection) => void seen.push(`leave:${connection.id}`));
      server.sb.on("disconnect", (connection, code) => void seen.push(`disconnect:${connection.id}:${code}`));
      const kicked = await connect(server.url);
      const silent = await connect(server.url, { autoPong: false });
      const leaving = await connect(server.url);
      for (const client of [kicked, silent, leaving]) await client.ok({ type: "join", room: "r" });
      await server.sb.disconnect({ connectionId: kicked.connectionId });
      await leaving.close();
      await Promise.all([kicked.closed, silent.closed]);
      const deadline = Date.now() + 5_000;
      while (seen.length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(
        new Set(seen),
        new Set([
          `leave:${kicked.connectionId}`,
          `disconnect:${kicked.connectionId}:4009`,
          `leave:${silent.connectionId}`,
          `disconnect:${silent.connectionId}:1006`,
          `leave:${leaving.connectionId}`,
          `disconnect:${leaving.connectionId}:1000`,
        ]),
      );
    } finally {
      await server.close();
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { connect } from "./support/client.js";
import { startTestServer } from "./support/server.js";

describe("heartbeat and idle timeout", () => {
  it("terminates a connection that stops answering protocol pings, and keeps one that answers", async () => {
    const server = await startTestServer({ heartbeatMs: 150 });
    try {
      const silent = await connect(server.url, { autoPong: false });
      const healthy = await connect(server.url);
      const closed = await silent.closed;
      assert.equal(closed.code, 1006, "terminated without a close handshake");
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(healthy.ws.readyState, WebSocket.OPEN);
      assert.equal(server.sb.stats().connections, 1);
      await healthy.close();
    } finally {
      await server.close();
    }
  });

  it("spreads a round of pings over the interval, and pings every connection once in it", async () => {
    const server = await startTestServer({ heartbeatMs: 600 });
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, () => connect(server.url)));
      const firstPings = await Promise.all(clients.map((client) => new Promise<number>((resolve) => client.ws.once("ping", () => resolve(performance.now())))));
      firstPings.sort((a, b) => a - b);
      // Slices are 60 ms apart: pings of one slice arrive together, those of the next apart from them.
      const groups = 1 + firstPings.slice(1).filter((at, index) => at - firstPings[index]! > 20).length;
      assert.ok(groups >= 4, `the 20 first pings came in ${groups} bursts`);
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await server.close();
    }
  });

  it("closes connections idle longer than idleTimeoutMs with 1000, and spares active ones", async () => {
    const server = await startTestServer({ idleTimeoutMs: 400 });
    try {
      const idle = await connect(server.url);
      const active = await connect(server.url);
      const keepAlive = setInterval(() => active.send({ type: "ping" }), 100);
      const closed = await idle.closed;
      clearInterval(keepAlive);
      assert.deepEqual(closed, { code: 1000, reason: "idle timeout" });
      assert.equal(active.ws.readyState, WebSocket.OPEN);
      await active.close();
    } finally {
      await server.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("closes every connection with 1001 and refuses new upgrades", async () => {
    const server = await startTestServer();
    const clients = await Promise.all([connect(server.url), connect(server.url)]);
    const closing = server.close();
    const codes = await Promise.all(clients.map((client) => client.closed));
    await closing;
    assert.deepEqual(codes.map((closed) => closed.code), [1001, 1001]);
    await assert.rejects(connect(server.url));
  });

  it("closes with 1012 for a restart", async () => {
    const server = await startTestServer();
    const client = await connect(server.url);
    await server.sb.close({ code: 1012, reason: "restarting" });
    assert.deepEqual(await client.closed, { code: 1012, reason: "restarting" });
  });

  it("terminates connections that do not finish the close handshake by the deadline", async () => {
    const server = await startTestServer({ shutdownTimeoutMs: 300 });
    const client = await connect(server.url);
    // A peer that never answers the close frame: pause its socket so it reads nothing.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 3_000);
    assert.equal(server.sb.stats().connections, 0);
  });
});

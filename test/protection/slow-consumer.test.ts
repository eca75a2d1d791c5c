import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { connect } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import { eventually, headerAuth } from "./helpers.js";

describe("slow consumers", () => {
  it("closes a client that stops reading with 4008, without holding back a fast client", async () => {
    let slowClosed = 0;
    const server = await startTestServer({
      auth: headerAuth,
      protection: { maxBufferedBytes: 1_048_576, sweepIntervalMs: 100 },
      observer: { refused: (reason) => void (reason === "slow_consumer" && slowClosed++) },
    });
    try {
      const room = "feed:prices";
      const slow = await connect(server.url);
      const fast = await connect(server.url);
      await slow.ok({ type: "join", room });
      await fast.ok({ type: "join", room });
      let fastReceived = 0;
      fast.ws.on("message", () => fastReceived++);
      // The slow client stops reading: its kernel buffers fill, then the server's write queue grows.
      (slow.ws as unknown as { _socket: Socket })._socket.pause();

      const payload = "p".repeat(16_384);
      const heapBefore = process.memoryUsage().heapUsed;
      let sent = 0;
      // Bounded: at most 3,000 frames of 16 KiB (48 MiB), far more than loopback buffers hold.
      while (sent < 3_000 && slowClosed === 0) {
        await server.sb.to(room).emit("tick", { n: sent, payload });
        sent++;
        if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(slowClosed, 1, `the slow client was flagged after ${sent} frames`);
      // Keep publishing after the close: none of it may queue up for the slow client.
      for (let index = 0; index < 200; index++) await server.sb.to(room).emit("tick", { n: sent++, payload });
      const slowView = [...server.sb.connections()].find((view) => view.id === slow.connectionId);
      const queued = slowView === undefined ? 0 : (slowView as unknown as { socket: { bufferedAmount: number } }).socket.bufferedAmount;
      assert.ok(queued < 1_048_576 + 2 * payload.length + 1_024, `the slow client's queue stays bounded (${queued} bytes)`);
      assert.ok(process.memoryUsage().heapUsed - heapBefore < 256 * 1_048_576, "heap growth is bounded");

      // The fast client got every frame, in spite of its slow neighbour.
      await eventually(() => fastReceived >= sent, `the fast client's ${sent} frames`, 30_000);
      // Once it reads again, the slow client finds the 4008 close behind what was already queued.
      (slow.ws as unknown as { _socket: Socket })._socket.resume();
      assert.equal((await slow.closed).code, 4008);
      assert.equal((await fast.request({ type: "ping" })).type, "pong");
      await fast.close();
    } finally {
      await server.close();
    }
  });

  it("the periodic sweep catches a connection over the bound even when no more sends come", async () => {
    let slowClosed = 0;
    const server = await startTestServer({
      auth: headerAuth,
      protection: { maxBufferedBytes: 65_536, sweepIntervalMs: 50, slowConsumerGraceMs: 200 },
      observer: { refused: (reason) => void (reason === "slow_consumer" && slowClosed++) },
    });
    try {
      const slow = await connect(server.url);
      await slow.ok({ type: "join", room: "feed:one" });
      (slow.ws as unknown as { _socket: Socket })._socket.pause();
      // One burst written without a check in between (as a batched write path might), then silence.
      const view = [...server.sb.connections()][0] as unknown as { socket: { send(data: string): void } };
      const frame = JSON.stringify({ type: "filler", data: "x".repeat(16_384) });
      for (let index = 0; index < 2_000; index++) view.socket.send(frame);
      await eventually(() => slowClosed === 1, "the sweep to flag the slow consumer");
      // It never reads, so after the grace period the server destroys the socket and forgets the connection.
      await eventually(() => [...server.sb.connections()].length === 0, "the server to drop the slow connection");
      slow.ws.terminate();
    } finally {
      await server.close();
    }
  });
});

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { fastPathAvailable, frameOnce, rawSocketOf, writeFrame } from "../src/delivery/frame-writer.js";
import type { CorkableConnection } from "../src/delivery/frame-writer.js";
import { connect } from "./support/client.js";
import { startTestServer } from "./support/server.js";

// The broadcast fast path relies on two ws internals (Sender.frame, ws._socket).
// These tests run it against the installed ws, so an upgrade that changes them fails here.

const SIZES = { small: 10, medium: 200, large: 70_000 } as const;

/** A bare ws server whose connections are written to only through the fast path. */
async function rawServer(): Promise<{ url: string; next: () => Promise<WebSocket>; close: () => Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const waiting: Array<(ws: WebSocket) => void> = [];
  wss.on("connection", (ws) => waiting.shift()?.(ws));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** A client and the server side of its connection, both open. */
async function pair(server: { url: string; next: () => Promise<WebSocket> }): Promise<{ client: WebSocket; ws: WebSocket }> {
  const accepted = server.next();
  const client = new WebSocket(server.url);
  await once(client, "open");
  return { client, ws: await accepted };
}

function received(ws: WebSocket, count: number): Promise<Array<{ data: Buffer; isBinary: boolean }>> {
  const frames: Array<{ data: Buffer; isBinary: boolean }> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${frames.length} of ${count} frames`)), 5_000);
    ws.on("message", (data, isBinary) => {
      frames.push({ data: data as Buffer, isBinary });
      if (frames.length === count) {
        clearTimeout(timer);
        resolve(frames);
      }
    });
  });
}

describe("broadcast fast path against the installed ws", () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    server = await rawServer();
  });
  after(() => server.close());

  it("finds ws's Sender.frame and the socket under a WebSocket", async () => {
    assert.equal(fastPathAvailable, true, "ws no longer exports Sender.frame: the fast path is off");
    const { client, ws } = await pair(server);
    const raw = rawSocketOf(ws);
    assert.ok(raw !== undefined, "ws no longer exposes _socket: the fast path is off");
    assert.equal(typeof raw.writableLength, "number");
    client.terminate();
  });

  for (const [name, size] of Object.entries(SIZES)) {
    for (const binary of [false, true]) {
      it(`frames a ${name} ${binary ? "binary" : "text"} payload (${size} bytes) that a real ws client decodes`, async () => {
        const { client, ws } = await pair(server);
        const connection: CorkableConnection = { raw: rawSocketOf(ws), corked: false };
        const payload = Buffer.alloc(size, binary ? 0xab : 0x61);
        payload[0] = 0x7b;
        payload[size - 1] = 0x7d;
        const frame = frameOnce(payload, binary);
        assert.ok(frame !== undefined);
        const got = received(client, 3);
        // Three writes in one turn: coalesced into one write by the cork, and still three frames.
        for (let index = 0; index < 3; index++) assert.equal(writeFrame(connection, frame, connection.raw!.writableLength), true);
        assert.equal(connection.corked, true);
        const frames = await got;
        assert.equal(connection.corked, false, "uncorked on the next tick");
        for (const message of frames) {
          assert.equal(message.isBinary, binary);
          assert.ok(message.data.equals(payload));
        }
        client.terminate();
      });
    }
  }

  it("keeps order when fast-path frames and ws.send interleave on one socket", async () => {
    const { client, ws } = await pair(server);
    const connection: CorkableConnection = { raw: rawSocketOf(ws), corked: false };
    const got = received(client, 6);
    for (let index = 0; index < 6; index++) {
      const text = `frame ${index}`;
      if (index % 2 === 0) writeFrame(connection, frameOnce(Buffer.from(text), false)!, connection.raw!.writableLength);
      else ws.send(text);
    }
    const frames = await got;
    assert.deepEqual(frames.map((frame) => frame.data.toString()), [0, 1, 2, 3, 4, 5].map((index) => `frame ${index}`));
    client.terminate();
  });

  it("counts corked bytes in ws's bufferedAmount (what the slow-consumer bound reads)", async () => {
    const { client, ws } = await pair(server);
    const connection: CorkableConnection = { raw: rawSocketOf(ws), corked: false };
    const frame = frameOnce(Buffer.alloc(1_000, 0x61), false)!;
    writeFrame(connection, frame, connection.raw!.writableLength);
    assert.ok(ws.bufferedAmount >= frame.length, `bufferedAmount ${ws.bufferedAmount} includes the corked frame`);
    await received(client, 1);
    client.terminate();
  });

  it("falls back to ws.send when an extension is negotiated (permessage-deflate)", async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: true });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const accepted = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, { perMessageDeflate: true });
    await once(client, "open");
    const ws = await accepted;
    assert.notEqual(ws.extensions, "");
    assert.equal(rawSocketOf(ws), undefined);
    client.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});

describe("room broadcasts through Switchboard", () => {
  for (const compression of [false, true]) {
    it(`delivers small, medium and large publications intact ${compression ? "with compression (ws.send fallback)" : "on the fast path"}`, async () => {
      const server = await startTestServer({ protection: { compression } });
      try {
        const clients = await Promise.all([0, 1, 2].map(() => connect(server.url, { perMessageDeflate: compression })));
        for (const client of clients) await client.ok({ type: "join", room: "fast:path" });
        const view = [...server.sb.connections()][0] as unknown as { raw: unknown };
        assert.equal(view.raw === undefined, compression, compression ? "compressed sockets use ws.send" : "uncompressed sockets use the fast path");
        for (const [name, size] of Object.entries(SIZES)) {
          const text = `${name}:${"z".repeat(size)}`;
          const waits = clients.map((client) => client.next((frame) => frame.type === "message" && (frame.data as { text?: string }).text === text));
          await server.sb.publish("fast:path", { text });
          for (const frame of await Promise.all(waits)) assert.equal((frame.data as { text: string }).text.length, text.length);
        }
        await Promise.all(clients.map((client) => client.close()));
      } finally {
        await server.close();
      }
    });
  }
});

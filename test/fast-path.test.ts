import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { Connection } from "../src/delivery/connection.js";
import { fastPathAvailable, frameOnce, rawSocketOf, writeFrame } from "../src/delivery/frame-writer.js";
import type { BatchedConnection } from "../src/delivery/frame-writer.js";
import { PreparedFrame } from "../src/delivery/prepared-frame.js";
import { unsentBytes } from "../src/protection/slow-consumer.js";
import { jsonCodec } from "../src/protocol/codec.js";
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
        const connection: BatchedConnection = { raw: rawSocketOf(ws), socket: ws, batch: undefined };
        const payload = Buffer.alloc(size, binary ? 0xab : 0x61);
        payload[0] = 0x7b;
        payload[size - 1] = 0x7d;
        const frame = frameOnce(payload, binary);
        assert.ok(frame !== undefined);
        const got = received(client, 3);
        // Three writes in one turn: one batch (written at once when the large one passes the early-write bound), and still three frames.
        for (let index = 0; index < 3; index++) assert.equal(writeFrame(connection, frame, connection.raw!.writableLength + (connection.batch?.bytes ?? 0)), true);
        if (size < 20_000) assert.equal(connection.batch?.bytes, frame.length * 3, "held until the end of the turn");
        const frames = await got;
        assert.equal(connection.batch, undefined, "written at the end of the turn");
        for (const message of frames) {
          assert.equal(message.isBinary, binary);
          assert.ok(message.data.equals(payload));
        }
        client.terminate();
      });
    }
  }

  it("keeps a connection's own frames, shared frames and its close in the order they were sent", async () => {
    const one = await pair(server);
    const two = await pair(server);
    const first = new Connection("c1", one.ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const second = new Connection("c2", two.ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const gotFirst = received(one.client, 4);
    const gotSecond = received(two.client, 2);
    const closed = once(one.client, "close");
    const shared = [PreparedFrame.of({ type: "message", n: 1 }), PreparedFrame.of({ type: "message", n: 2 })];
    first.sendPrepared(shared[0]!);
    second.sendPrepared(shared[0]!);
    first.send({ type: "pong", ts: 7 });
    first.sendPrepared(shared[1]!);
    second.sendPrepared(shared[1]!);
    first.writeEncoded('{"type":"own","n":3}', false);
    assert.notEqual(first.batch, undefined, "held until the end of the turn");
    assert.equal(second.batch?.bytes, shared[0]!.framedFor(jsonCodec)!.length + shared[1]!.framedFor(jsonCodec)!.length);
    first.close(4000, "done");
    assert.equal(first.batch, undefined, "a close writes the batch first");
    assert.deepEqual(
      (await gotFirst).map((frame) => JSON.parse(frame.data.toString()) as unknown),
      [{ type: "message", n: 1 }, { type: "pong", ts: 7 }, { type: "message", n: 2 }, { type: "own", n: 3 }],
    );
    const [code] = (await closed) as [number];
    assert.equal(code, 4000, "the close frame came after every frame sent before it");
    assert.deepEqual((await gotSecond).map((frame) => JSON.parse(frame.data.toString()) as unknown), [{ type: "message", n: 1 }, { type: "message", n: 2 }]);
    two.client.terminate();
  });

  it("shares one batch between connections sent the same frames in one turn", async () => {
    const pairs = await Promise.all([0, 1, 2].map(() => pair(server)));
    const connections = pairs.map(({ ws }, index) => new Connection(`c${index}`, ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1"));
    const frames = [PreparedFrame.of({ n: 1 }), PreparedFrame.of({ n: 2 }), PreparedFrame.of({ n: 3 })];
    const got = pairs.map(({ client }, index) => received(client, index === 2 ? 2 : 3));
    for (const frame of frames.slice(0, 2)) for (const connection of connections) connection.sendPrepared(frame);
    for (const connection of connections.slice(0, 2)) connection.sendPrepared(frames[2]!);
    assert.equal(connections[0]!.batch, connections[1]!.batch, "one sequence for the same frames");
    assert.notEqual(connections[2]!.batch, connections[0]!.batch);
    const all = await Promise.all(got);
    assert.deepEqual(all.map((list) => list.map((frame) => (JSON.parse(frame.data.toString()) as { n: number }).n)), [[1, 2, 3], [1, 2, 3], [1, 2]]);
    for (const { client } of pairs) client.terminate();
  });

  it("sends the heartbeat's ping through the batch, between the frames sent around it", async () => {
    const { client, ws } = await pair(server);
    const connection = new Connection("c1", ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const events: string[] = [];
    client.on("ping", () => events.push("ping"));
    const got = received(client, 2);
    client.on("message", (data) => events.push(String(data)));
    connection.sendPrepared(new PreparedFrame('"before"'));
    connection.ping();
    connection.sendPrepared(new PreparedFrame('"after"'));
    const pong = once(ws, "pong");
    await got;
    await pong;
    assert.deepEqual(events, ['"before"', "ping", '"after"']);
    client.terminate();
  });

  it("writes the rest of a turn when one socket's write throws, and that connection's next turn too", async () => {
    const one = await pair(server);
    const two = await pair(server);
    const first = new Connection("c1", one.ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const second = new Connection("c2", two.ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const raw = first.raw as unknown as { write(chunk: Buffer): boolean };
    const write = raw.write.bind(raw);
    raw.write = () => {
      raw.write = write;
      throw new Error("write refused");
    };
    const gotSecond = received(two.client, 1);
    const gotFirst = received(one.client, 1);
    first.sendPrepared(new PreparedFrame('"lost"'));
    second.sendPrepared(new PreparedFrame('"turn 1"'));
    assert.deepEqual((await gotSecond).map((frame) => frame.data.toString()), ['"turn 1"']);
    assert.equal(first.batch, undefined);
    first.sendPrepared(new PreparedFrame('"turn 2"'));
    assert.deepEqual((await gotFirst).map((frame) => frame.data.toString()), ['"turn 2"']);
    one.client.terminate();
    two.client.terminate();
  });

  it("counts batched bytes in the unsent bytes the slow-consumer bound reads", async () => {
    const { client, ws } = await pair(server);
    const connection = new Connection("c1", ws, jsonCodec, { userId: null, claims: {} }, "127.0.0.1");
    const frame = PreparedFrame.of({ text: "a".repeat(1_000) });
    const before = unsentBytes(connection);
    connection.sendPrepared(frame);
    assert.equal(unsentBytes(connection) - before, frame.framedFor(jsonCodec)!.length);
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
  it("writes a publication's reply and the publisher's own copy in one write", async () => {
    const server = await startTestServer();
    try {
      const publisher = await connect(server.url);
      await publisher.ok({ type: "join", room: "fast:reply" });
      const raw = ([...server.sb.connections()][0] as unknown as { raw: { write(chunk: Buffer): boolean } }).raw;
      const writes: string[] = [];
      const write = raw.write.bind(raw);
      raw.write = (chunk: Buffer): boolean => {
        writes.push(chunk.toString("latin1"));
        return write(chunk);
      };
      const copy = publisher.next((frame) => frame.type === "message");
      await publisher.ok({ type: "publish", room: "fast:reply", data: { n: 1 } });
      await copy;
      assert.equal(writes.length, 1, "one write for the reply and the message");
      assert.match(writes[0]!, /"type":"message".*"type":"reply"|"type":"reply".*"type":"message"/s);
      await publisher.close();
    } finally {
      await server.close();
    }
  });

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

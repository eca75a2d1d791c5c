import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { decode, encode } from "@msgpack/msgpack";
import { WebSocket } from "ws";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

type Frame = Record<string, unknown> & { type: string };

/** A raw ws client on the MessagePack subprotocol that records every frame it gets (and whether it was binary). */
class MsgpackClient {
  readonly frames: Array<Frame & { binary: boolean }> = [];
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  private id = 1;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const frame = { ...(decode(data as Buffer) as Frame), binary: isBinary };
      const index = this.waiters.findIndex((waiter) => waiter.match(frame));
      if (index === -1) this.frames.push(frame);
      else this.waiters.splice(index, 1)[0]!.resolve(frame);
    });
  }

  static async open(url: string): Promise<MsgpackClient> {
    const ws = new WebSocket(url, ["switchboard.v1.msgpack"]);
    const client = new MsgpackClient(ws);
    await once(ws, "open");
    await client.next((frame) => frame.type === "welcome");
    return client;
  }

  next(match: (frame: Frame) => boolean): Promise<Frame & { binary?: boolean }> {
    const index = this.frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no matching frame within 3 s")), 3_000);
      this.waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  request(frame: Record<string, unknown>): Promise<Frame & { binary?: boolean }> {
    const id = this.id++;
    this.ws.send(encode({ ...frame, id }));
    return this.next((reply) => reply.type === "reply" && reply.id === id);
  }
}

describe("MessagePack encoding (switchboard.v1.msgpack)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("is negotiated by subprotocol and sends the welcome as a binary MessagePack frame", async () => {
    const ws = new WebSocket(server.url, ["switchboard.v1.msgpack"]);
    const first = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => ws.once("message", (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
    await once(ws, "open");
    assert.equal(ws.protocol, "switchboard.v1.msgpack");
    const { data, isBinary } = await first;
    assert.equal(isBinary, true);
    const welcome = decode(data) as Frame;
    assert.equal(welcome.type, "welcome");
    assert.equal((welcome.data as { protocol: number }).protocol, 1);
    ws.close();
  });

  it("joins, publishes and receives messages in binary frames, side by side with a JSON client", async () => {
    const a = await MsgpackClient.open(server.url);
    const b = await MsgpackClient.open(server.url);
    const json = new WebSocket(server.url, ["switchboard.v1.json"]);
    const jsonFrames: Frame[] = [];
    json.on("message", (data, isBinary) => {
      assert.equal(isBinary, false);
      jsonFrames.push(JSON.parse(String(data)) as Frame);
    });
    await once(json, "open");
    const joined = await a.request({ type: "join", room: "mp:room" });
    assert.equal(joined.ok, true);
    assert.equal(joined.binary, true);
    await b.request({ type: "join", room: "mp:room" });
    json.send(JSON.stringify({ type: "join", room: "mp:room", id: 1 }));
    await waitFor(() => jsonFrames.some((frame) => frame.type === "reply" && frame.id === 1));

    const data = { text: "hello", n: 42, nested: { list: [1, 2, 3], flag: true, none: null } };
    const published = await a.request({ type: "publish", room: "mp:room", data });
    assert.equal(published.ok, true);
    const message = await b.next((frame) => frame.type === "message");
    assert.equal(message.binary, true);
    assert.equal(message.room, "mp:room");
    assert.deepEqual(message.data, data);
    assert.equal(typeof message.offset, "number");
    // The same publication reaches the JSON client as JSON text.
    await waitFor(() => jsonFrames.some((frame) => frame.type === "message"));
    assert.deepEqual(jsonFrames.find((frame) => frame.type === "message")!.data, data);
    a.ws.close();
    b.ws.close();
    json.close();
  });

  it("answers an undecodable binary frame with a bad_request error and keeps the connection", async () => {
    const client = await MsgpackClient.open(server.url);
    client.ws.send(Buffer.from([0xc1, 0xff, 0x00]));
    const error = await client.next((frame) => frame.type === "error");
    assert.equal(error.binary, true);
    assert.equal((error.error as { code: string }).code, "bad_request");
    client.ws.send("{\"type\":\"ping\"}");
    const textError = await client.next((frame) => frame.type === "error");
    assert.match((textError.error as { message: string }).message, /Text frames/);
    client.ws.send(encode({ type: "ping", id: 99 }));
    const pong = await client.next((frame) => frame.type === "pong");
    assert.equal(pong.id, 99);
    client.ws.close();
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met within 3 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { after, before, describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { MsgpackClient, nested } from "./msgpack-client.js";

const API_KEY = "survivor-probe-api-key-0123456789";

/**
 * Issue 16: no input from a client or the server API can exit the process. One
 * `switchboard start` process on a private redis-server takes one probe of every
 * family from outside (frames, payloads, joins, the server API, HTTP abuse); after
 * each, the process still runs and still delivers to a MessagePack and a JSON member.
 */
describe("a switchboard start process survives every probe", () => {
  let redis: PrivateRedis;
  let node: ServerProcess;
  let watcher: MsgpackClient;
  let member: TestClient;
  let sequence = 0;

  before(async () => {
    redis = await startRedisServer();
    node = await startServerProcess({ REDIS_URL: redis.url, SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_API_KEY: API_KEY, SWITCHBOARD_HEADERS_TIMEOUT_MS: "500", SWITCHBOARD_REQUEST_TIMEOUT_MS: "2000" });
    watcher = await MsgpackClient.open(node.url);
    member = await connect(node.url);
    await watcher.ok({ type: "join", room: "probe:room" });
    await member.ok({ type: "join", room: "probe:room" });
  });
  after(async () => {
    await (watcher as MsgpackClient | undefined)?.close();
    await (member as TestClient | undefined)?.close();
    await (node as ServerProcess | undefined)?.stop();
    await (redis as PrivateRedis | undefined)?.stop();
  });

  async function stillServing(): Promise<void> {
    assert.equal(node.child.exitCode, null, `the process exited:\n${node.output().slice(-2000)}`);
    const text = `alive ${++sequence}`;
    const arrived = watcher.next((frame) => frame.type === "message" && (frame.data as { text?: string }).text === text);
    await member.ok({ type: "publish", room: "probe:room", data: { text } });
    await arrived;
  }

  async function attacker(): Promise<TestClient> {
    return connect(node.url);
  }

  function api(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
    return fetch(`http://127.0.0.1:${node.port}${path}`, { method, headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body }) }).then((response) => response.status);
  }

  const probes: Array<[string, () => Promise<void>]> = [
    ["deep data (150 and 32,000 levels) from JSON and MessagePack", async () => {
      const client = await attacker();
      await client.ok({ type: "join", room: "probe:room" });
      assert.equal(((await client.request({ type: "publish", room: "probe:room", data: nested(150) })).error as { code: string }).code, "bad_request");
      client.send(`{"type":"publish","room":"probe:room","id":99,"data":${"[".repeat(32_000)}${"]".repeat(32_000)}}`);
      assert.equal(((await client.next((frame) => frame.id === 99)).error as { code: string }).code, "bad_request");
      watcher.ws.send(encode({ type: "publish", room: "probe:room", id: 98, data: nested(150) }, { maxDepth: 1_000 }));
      assert.equal(((await watcher.next((frame) => frame.id === 98)).error as { code: string }).code, "bad_request");
      await client.close();
    }],
    ["deep presence meta", async () => {
      assert.equal(((await member.request({ type: "presence", room: "probe:room", meta: { deep: nested(200) } })).error as { code: string }).code, "bad_request");
    }],
    ["malformed frames: not JSON, not an object, a binary frame on JSON, an unknown type", async () => {
      const client = await attacker();
      for (const frame of ["{not json", "[]", "null", "42", '{"type":7}', '{"type":"nope","id":1000}']) client.send(frame);
      client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.equal((await client.request({ type: "ping" })).type, "pong");
      await client.close();
    }],
    ["invalid UTF-8 (closed with 1007)", async () => {
      const client = await attacker();
      client.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
      assert.equal((await client.closed).code, 1007);
    }],
    ["a frame over maxPayload (closed with 1009)", async () => {
      const client = await attacker();
      client.send(JSON.stringify({ type: "publish", room: "probe:room", data: "x".repeat(70_000) }));
      assert.equal((await client.closed).code, 1009);
    }],
    ["120 joins and bad room names in one write", async () => {
      const client = await attacker();
      const frames = Array.from({ length: 120 }, (_, index) => JSON.stringify({ type: "join", room: `probe:burst-${index}`, id: index + 1 }));
      frames.push(JSON.stringify({ type: "join", room: "../../etc", id: 500 }), JSON.stringify({ type: "join", room: "nul\u0000", id: 501 }));
      (client.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket.cork();
      for (const frame of frames) client.send(frame);
      (client.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket.uncork();
      assert.equal(((await client.next((frame) => frame.id === 501)).error as { code: string }).code, "bad_request");
      await client.close();
    }],
    ["server API: deep data, bad room names, a huge path parameter, bad JSON, a 2 MiB body", async () => {
      assert.equal(await api("POST", "/api/broadcast", JSON.stringify({ rooms: ["probe:room"], type: "deep", data: nested(150) })), 400);
      assert.equal(await api("POST", "/api/publish", JSON.stringify({ room: "probe:room", data: nested(150) })), 400);
      assert.equal(await api("GET", "/api/rooms/..%2F..%2Fetc/presence"), 400);
      assert.equal(await api("GET", "/api/rooms/room%00/history"), 400);
      assert.equal(await api("GET", `/api/rooms/${"r".repeat(2_000)}/presence`), 414);
      assert.equal(await api("POST", "/api/publish", "{not json"), 400);
      assert.equal(await api("POST", "/api/publish", JSON.stringify({ room: "probe:room", data: "x".repeat(2 * 1_048_576) })), 413);
    }],
    ["HTTP: headers that never finish, and a garbage request line", async () => {
      for (const raw of ["GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", "\u0000\u0001 garbage \r\n\r\n"]) {
        const socket = createConnection(node.port, "127.0.0.1");
        socket.on("error", () => undefined);
        socket.resume();
        socket.write(raw);
        await new Promise((resolve) => socket.once("close", resolve));
      }
    }],
    ["a client that stops reading", async () => {
      const client = await attacker();
      await client.ok({ type: "join", room: "probe:room" });
      (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let index = 0; index < 50; index++) await member.ok({ type: "publish", room: "probe:room", data: { index, pad: "p".repeat(30_000) } });
      client.ws.terminate();
    }],
  ];

  for (const [family, probe] of probes) {
    it(`survives ${family}`, async () => {
      await probe();
      await stillServing();
    });
  }

  it("logged no uncaught exception and no stack overflow", () => {
    assert.doesNotMatch(node.output(), /uncaught|RangeError|Maximum call stack/i);
    assert.equal(node.child.exitCode, null);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { MsgpackClient, nested } from "./msgpack-client.js";

const API_KEY = "hostile-probe-api-key-0123456789";

/**
 * Issue 16, finding 1: deep data once crashed every Redis-backed node with a
 * MessagePack client in the room. Two `switchboard start` processes on a
 * private redis-server; after every probe both must still run and deliver.
 */
describe("deep data against two nodes on Redis with a MessagePack member", () => {
  let redis: PrivateRedis;
  let nodes: ServerProcess[];
  let publisher: TestClient;
  let packed: MsgpackClient;
  let sequence = 0;

  before(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_API_KEY: API_KEY };
    nodes = await Promise.all([startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "a" }), startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "b" })]);
    publisher = await connect(nodes[0]!.url);
    packed = await MsgpackClient.open(nodes[1]!.url);
    await publisher.ok({ type: "join", room: "deep:room" });
    await packed.ok({ type: "join", room: "deep:room" });
  });
  after(async () => {
    // Each step guarded: a failed start must still stop what did start, or its pipes keep the test file alive.
    await (publisher as TestClient | undefined)?.close();
    await (packed as MsgpackClient | undefined)?.close();
    await Promise.all(((nodes as ServerProcess[] | undefined) ?? []).map((node) => node.stop()));
    await (redis as PrivateRedis | undefined)?.stop();
  });

  /** Both processes run, and a normal publication on node a still reaches the MessagePack client on node b. */
  async function bothNodesServe(): Promise<void> {
    for (const node of nodes) assert.equal(node.child.exitCode, null, `node exited:\n${node.output().slice(-2000)}`);
    const text = `still here ${++sequence}`;
    const arrived = packed.next((frame) => frame.type === "message" && (frame.data as { text?: string }).text === text);
    await publisher.ok({ type: "publish", room: "deep:room", data: { text } });
    await arrived;
    assert.ok(!nodes.some((node) => /uncaught|RangeError|Maximum call stack/i.test(node.output())), "no uncaught error or stack overflow in the logs");
  }

  async function api(path: string, body: unknown): Promise<{ status: number; code: string }> {
    const response = await fetch(`http://127.0.0.1:${nodes[0]!.port}${path}`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const parsed = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: parsed.error?.code ?? "" };
  }

  it("refuses a JSON client's 150-deep publication with bad_request", async () => {
    const reply = await publisher.request({ type: "publish", room: "deep:room", data: nested(150) });
    assert.equal((reply.error as { code: string }).code, "bad_request");
    await bothNodesServe();
  });

  it("refuses a MessagePack client's 150-deep publication with bad_request", async () => {
    packed.ws.send(encode({ type: "publish", room: "deep:room", id: 900, data: nested(150) }, { maxDepth: 1_000 }));
    const reply = await packed.next((frame) => frame.type === "reply" && frame.id === 900);
    assert.equal((reply.error as { code: string }).code, "bad_request");
    await bothNodesServe();
  });

  it("refuses 32,000 levels of nesting with bad_request", async () => {
    publisher.send(`{"type":"publish","room":"deep:room","id":901,"data":${"[".repeat(32_000)}${"]".repeat(32_000)}}`);
    const reply = await publisher.next((frame) => frame.type === "reply" && frame.id === 901);
    assert.equal((reply.error as { code: string }).code, "bad_request");
    await bothNodesServe();
  });

  it("refuses deep presence meta with bad_request", async () => {
    const reply = await publisher.request({ type: "presence", room: "deep:room", meta: { status: nested(150) } });
    assert.equal((reply.error as { code: string }).code, "bad_request");
    await bothNodesServe();
  });

  it("answers /api/broadcast and /api/publish of deep data with 400 bad_request", async () => {
    assert.deepEqual(await api("/api/broadcast", { rooms: ["deep:room"], type: "deep", data: nested(150) }), { status: 400, code: "bad_request" });
    assert.deepEqual(await api("/api/broadcast", { all: true, type: "deep", data: nested(150) }), { status: 400, code: "bad_request" });
    assert.deepEqual(await api("/api/publish", { room: "deep:room", data: nested(150) }), { status: 400, code: "bad_request" });
    await bothNodesServe();
  });
});

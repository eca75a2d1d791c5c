import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_KEY, startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";

describe("server API without a key configured", () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ SWITCHBOARD_API_KEY: "" });
  });
  after(() => server.close());

  it("answers 401 on /api/* naming the setting, and still serves /health and /metrics", async () => {
    const publish = await server.call("POST", "/api/publish", { room: "a", data: 1 }, null);
    assert.equal(publish.status, 401);
    assert.deepEqual(Object.keys(publish.body), ["error"]);
    const error = publish.body.error as { code: string; message: string };
    assert.equal(error.code, "unauthorized");
    assert.match(error.message, /SWITCHBOARD_API_KEY/);
    const stats = await server.call("GET", "/api/stats", undefined, "some-key-that-is-long-enough");
    assert.equal(stats.status, 401);
    assert.equal((await server.call("GET", "/health", undefined, null)).status, 200);
    assert.equal((await server.call("GET", "/metrics", undefined, null)).status, 200);
  });
});

describe("server API", () => {
  let server: ApiServer;
  const clients: TestClient[] = [];
  const open = async (userId?: string): Promise<TestClient> => {
    const token = userId === undefined ? undefined : await mintToken({ sub: userId }, { expiresIn: "1h" });
    const client = await connect(token === undefined ? server.url : `${server.url}?token=${token}`);
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startApiServer({ SWITCHBOARD_AUTH: "", SWITCHBOARD_JWT_SECRET: TEST_SECRET });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  it("refuses a wrong key, a missing key and a malformed header with 401", async () => {
    for (const key of [null, "not-the-key-but-long-enough", `${API_KEY}x`]) {
      const response = await server.call("GET", "/api/stats", undefined, key);
      assert.equal(response.status, 401, String(key));
      assert.equal((response.body.error as { code: string }).code, "unauthorized");
    }
    const response = await fetch(`${server.apiUrl}/api/stats`, { headers: { authorization: `Basic ${API_KEY}` } });
    assert.equal(response.status, 401);
  });

  it("validates bodies with 400 naming the field, 413 for a large body, 404 for unknown routes", async () => {
    const noRoom = await server.call("POST", "/api/publish", { data: { text: "x" } });
    assert.equal(noRoom.status, 400);
    assert.equal((noRoom.body.error as { code: string }).code, "bad_request");
    assert.match((noRoom.body.error as { message: string }).message, /"room"/);
    const extra = await server.call("POST", "/api/broadcast", { type: "x", data: 1, rooms: ["a"], everyone: true });
    assert.equal(extra.status, 400);
    assert.match((extra.body.error as { message: string }).message, /everyone/);
    const noTarget = await server.call("POST", "/api/broadcast", { type: "match_found", data: {} });
    assert.equal(noTarget.status, 400);
    const reserved = await server.call("POST", "/api/broadcast", { type: "reply", data: {}, all: true });
    assert.equal(reserved.status, 400);
    const badJson = await server.call("POST", "/api/publish", "{not json");
    assert.equal(badJson.status, 400);
    assert.equal((badJson.body.error as { code: string }).code, "bad_request");
    const large = await server.call("POST", "/api/publish", { room: "big", data: "x".repeat(2 * 1024 * 1024) });
    assert.equal(large.status, 413);
    assert.equal((large.body.error as { code: string }).code, "too_large");
    const badDisconnect = await server.call("POST", "/api/disconnect", { code: 4009 });
    assert.equal(badDisconnect.status, 400);
    assert.match((badDisconnect.body.error as { message: string }).message, /userId/);
    const unknown = await server.call("GET", "/api/nothing-here");
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body.error as { code: string }).code, "not_found");
  });

  it("publishes to a room exactly as a client publish, with offset and history", async () => {
    const alice = await open("alice");
    const bob = await open("bob");
    await alice.ok({ type: "join", room: "chat:api", id: 1 });
    await bob.ok({ type: "join", room: "chat:api", id: 1 });
    const fromClient = await alice.ok({ type: "publish", room: "chat:api", data: { text: "from alice" }, id: 2 });
    await bob.next((frame) => frame.type === "message" && frame.offset === fromClient.offset);

    const response = await server.call("POST", "/api/publish", { room: "chat:api", data: { text: "from a backend" } });
    assert.equal(response.status, 200);
    assert.equal(response.body.offset, (fromClient.offset as number) + 1);
    assert.equal(typeof response.body.epoch, "string");
    for (const client of [alice, bob]) {
      const message = await client.next((frame) => frame.type === "message" && frame.offset === response.body.offset);
      assert.equal(message.room, "chat:api");
      assert.deepEqual(message.data, { text: "from a backend" });
      assert.equal(message.from, undefined);
      assert.equal(typeof message.ts, "number");
    }

    const typed = await server.call("POST", "/api/publish", { room: "chat:api", data: { price: 3 }, type: "price_changed" });
    const withEvent = await bob.next((frame) => frame.type === "message" && frame.offset === typed.body.offset);
    assert.equal(withEvent.event, "price_changed");

    const history = await server.call("GET", "/api/rooms/chat%3Aapi/history?limit=10");
    assert.equal(history.status, 200);
    const messages = history.body.messages as Array<{ data: unknown; offset: number }>;
    assert.deepEqual(messages.map((message) => message.data), [{ text: "from alice" }, { text: "from a backend" }, { price: 3 }]);
    const since = await server.call("GET", `/api/rooms/chat%3Aapi/history?offset=${String(fromClient.offset)}&epoch=${String(history.body.epoch)}`);
    assert.deepEqual((since.body.messages as Array<{ offset: number }>).map((message) => message.offset), [response.body.offset, typed.body.offset]);
    const badQuery = await server.call("GET", "/api/rooms/chat%3Aapi/history?offset=3");
    assert.equal(badQuery.status, 400);

    const presence = await server.call("GET", "/api/rooms/chat%3Aapi/presence");
    const members = (presence.body.members as Array<{ userId: string; connections: number }>).map((member) => member.userId).sort();
    assert.deepEqual(members, ["alice", "bob"]);
    const rooms = await server.call("GET", "/api/rooms");
    assert.deepEqual((rooms.body.rooms as Array<{ room: string; connections: number }>).find((room) => room.room === "chat:api"), { room: "chat:api", connections: 2 });
  });

  it("broadcasts a custom event to the union of targets, each connection once", async () => {
    const inRoom = await open("u-room");
    const byUser = await open("u-user");
    const byUserToo = await open("u-user");
    const byConnection = await open("u-conn");
    const everywhere = await open("u-all");
    const bystander = await open("u-none");
    await inRoom.ok({ type: "join", room: "lobby:7", id: 1 });
    await everywhere.ok({ type: "join", room: "lobby:7", id: 1 });
    const response = await server.call("POST", "/api/broadcast", {
      rooms: ["lobby:7"],
      userIds: ["u-user", "u-all"],
      connectionIds: [byConnection.connectionId, everywhere.connectionId],
      type: "match_found",
      data: { matchId: "m-1" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ok: true });
    for (const client of [inRoom, byUser, byUserToo, byConnection, everywhere]) {
      const event = await client.nextOfType("match_found");
      assert.deepEqual(event.data, { matchId: "m-1" });
      await client.expectNone((frame) => frame.type === "match_found", 150);
    }
    await bystander.expectNone((frame) => frame.type === "match_found", 150);

    const all = await server.call("POST", "/api/broadcast", { all: true, type: "maintenance", data: { in: 5 } });
    assert.equal(all.status, 200);
    for (const client of [inRoom, bystander]) assert.deepEqual((await client.nextOfType("maintenance")).data, { in: 5 });
  });

  it("disconnects a user's sockets with 4009 and a connection with a given code and reason", async () => {
    const first = await open("leaving");
    const second = await open("leaving");
    const other = await open("staying");
    const response = await server.call("POST", "/api/disconnect", { userId: "leaving" });
    assert.equal(response.status, 200);
    assert.equal((await first.closed).code, 4009);
    assert.equal((await second.closed).code, 4009);
    const custom = await server.call("POST", "/api/disconnect", { connectionId: other.connectionId, code: 4000, reason: "moved" });
    assert.equal(custom.status, 200);
    assert.deepEqual(await other.closed, { code: 4000, reason: "moved" });
  });

  it("reports stats with per-second rates and a series, and streams them", async () => {
    const talker = await open("talker");
    await talker.ok({ type: "join", room: "stats:room", id: 1 });
    for (let index = 0; index < 20; index++) talker.send({ type: "publish", room: "stats:room", data: index });
    await talker.next((frame) => frame.type === "message" && frame.data === 19);
    const framesBefore = server.running.switchboard.stats().framesIn;
    let stats = (await server.call("GET", "/api/stats")).body;
    const deadline = Date.now() + 5_000;
    // The figures are sampled once a second: wait for a sample taken after the traffic.
    while (((stats.nodes as Array<{ framesIn: number }>)[0]?.framesIn ?? 0) < framesBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stats = (await server.call("GET", "/api/stats")).body;
    }
    const node = (stats.nodes as Array<Record<string, number | string>>)[0]!;
    assert.equal(stats.node, server.running.switchboard.node);
    assert.equal(node.node, server.running.switchboard.node);
    assert.ok((node.connections as number) >= 1);
    assert.ok((node.framesInPerSecond as number) > 0, "frames in per second moved");
    assert.ok((node.framesIn as number) >= framesBefore);
    assert.ok((node.bytesOut as number) > 0);
    assert.ok(Array.isArray(stats.series) && (stats.series as unknown[]).length > 0);
    const latency = stats.latencyMs as { count: number; p50: number; p99: number };
    assert.ok(latency.count > 0 && latency.p99 >= latency.p50);
    assert.equal((stats.totals as { connections: number }).connections, node.connections);

    const controller = new AbortController();
    const stream = await fetch(`${server.apiUrl}/api/stats/stream`, { headers: { authorization: `Bearer ${API_KEY}` }, signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = stream.body!.getReader();
    let received = "";
    while (!/\n\n[\s\S]*\n\n/.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const events = received.split("\n\n").filter((chunk) => chunk.startsWith("event: stats"));
    assert.ok(events.length >= 2, "an event at once and one after the next sample");
    const payload = JSON.parse(events[1]!.split("\n").find((line) => line.startsWith("data: "))!.slice(6)) as { nodes: unknown[] };
    assert.equal(payload.nodes.length, 1);
  });

  it("serves Prometheus metrics that move with traffic", async () => {
    const metric = async (name: string): Promise<number> => {
      const text = (await server.call("GET", "/metrics", undefined, null)).text;
      const line = text.split("\n").find((each) => each.startsWith(`${name} `) || each.startsWith(`${name}{`));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    const before = { connects: await metric("switchboard_connects_total"), framesIn: await metric("switchboard_frames_in_total"), latency: await metric("switchboard_delivery_latency_seconds_count") };
    const client = await open("metered");
    await client.ok({ type: "join", room: "metrics:room", id: 1 });
    await client.ok({ type: "publish", room: "metrics:room", data: "x", id: 2 });
    const failed = await client.request({ type: "no-such-handler", id: 3 });
    assert.equal((failed.error as { code: string }).code, "unknown_type");
    assert.ok((await metric("switchboard_connections")) >= 1);
    assert.ok((await metric("switchboard_connects_total")) > before.connects);
    assert.ok((await metric("switchboard_frames_in_total")) >= before.framesIn + 3);
    assert.ok((await metric("switchboard_delivery_latency_seconds_count")) > before.latency);
    const text = (await server.call("GET", "/metrics", undefined, null)).text;
    assert.match(text, /switchboard_errors_total\{code="unknown_type"\} [1-9]/);
    assert.match(text, /switchboard_disconnects_total\{code="4009"\} [1-9]/);
    assert.match(text, /switchboard_broker_published_total [1-9]/);
    assert.match(text, /switchboard_nodejs_eventloop_lag_seconds/);
    assert.match(text, /switchboard_process_resident_memory_bytes/);
    assert.match(text, /# TYPE switchboard_handler_duration_seconds histogram/);
  });

  it("serves liveness and readiness", async () => {
    const live = await server.call("GET", "/health/live", undefined, null);
    assert.equal(live.status, 200);
    const ready = await server.call("GET", "/health", undefined, null);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, "ok");
    assert.deepEqual(ready.body.checks, { broker: { ok: true, required: true } });
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PresenceSnapshot } from "switchboard";
import WebSocket from "ws";
import { connect } from "./support/client.js";
import { diffOf, presenceWith } from "./support/presence.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

describe("protocol v1 over a real socket", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ nodeId: "node-a", heartbeatMs: 10_000 });
  });
  after(() => server.close());

  it("sends welcome first with connection id, node, heartbeat and protocol version", async () => {
    const client = await connect(server.url);
    const data = client.welcome!.data as Record<string, unknown>;
    assert.equal(typeof data.connectionId, "string");
    assert.equal(data.userId, null);
    assert.equal(data.node, "node-a");
    assert.equal(data.heartbeatMs, 10_000);
    assert.equal(data.protocol, 1);
    await client.close();
  });

  it("selects the JSON subprotocol when offered", async () => {
    const client = await connect(server.url, { protocols: ["switchboard.v1.json"] });
    assert.equal(client.ws.protocol, "switchboard.v1.json");
    await client.close();
  });

  it("joins, publishes with offsets, and delivers the message frame to members", async () => {
    const alice = await connect(server.url);
    const bob = await connect(server.url);
    const joined = await alice.ok({ type: "join", room: "chat:general" });
    assert.equal(joined.room, "chat:general");
    assert.equal(typeof joined.epoch, "string");
    assert.equal(joined.offset, 0);
    await bob.ok({ type: "join", room: "chat:general" });
    const published = await alice.ok({ type: "publish", room: "chat:general", data: { text: "hi" } });
    assert.equal(published.offset, 1);
    const message = await bob.nextOfType("message");
    assert.equal(message.room, "chat:general");
    assert.deepEqual(message.data, { text: "hi" });
    assert.equal(message.offset, 1);
    assert.deepEqual(message.from, { userId: null, connectionId: alice.connectionId });
    assert.equal(typeof message.ts, "number");
    const echoed = await alice.nextOfType("message");
    assert.equal(echoed.offset, 1);
    await alice.close();
    await bob.close();
  });

  it("does not echo to the sender with echo:false, and skips history for volatile publications", async () => {
    const alice = await connect(server.url);
    const bob = await connect(server.url);
    await alice.ok({ type: "join", room: "typing" });
    await bob.ok({ type: "join", room: "typing" });
    const reply = await alice.ok({ type: "publish", room: "typing", data: { typing: true }, volatile: true, echo: false });
    assert.deepEqual(reply, {});
    const message = await bob.nextOfType("message");
    assert.equal(message.offset, undefined);
    await alice.expectNone((frame) => frame.type === "message");
    const history = await bob.ok({ type: "history", room: "typing" });
    assert.deepEqual(history.messages, []);
    await alice.close();
    await bob.close();
  });

  it("answers presence with members and announces joins and leaves as coalesced diffs", async () => {
    const alice = await connect(server.url);
    const bob = await connect(server.url);
    await alice.ok({ type: "join", room: "lobby" });
    const joined = await bob.ok({ type: "join", room: "lobby" });
    const snapshot = joined.presence as PresenceSnapshot;
    assert.equal(snapshot.count, 2);
    assert.equal(snapshot.mode, "list");
    assert.deepEqual(snapshot.entries!.map((entry) => entry.connectionId).sort(), [alice.connectionId, bob.connectionId].sort());
    assert.equal(snapshot.cursor, null);
    const joinFrame = await alice.next(presenceWith("joined", bob.connectionId, "lobby"));
    assert.deepEqual(diffOf(joinFrame).joined!.find((entry) => entry.connectionId === bob.connectionId), { connectionId: bob.connectionId, userId: null });
    assert.equal(diffOf(joinFrame).count, 2);
    const presence = await alice.ok({ type: "presence", room: "lobby" });
    assert.equal((presence.members as unknown[]).length, 2);
    assert.deepEqual(await bob.ok({ type: "leave", room: "lobby" }), { room: "lobby" });
    const leaveFrame = await alice.next(presenceWith("left", bob.connectionId, "lobby"));
    assert.deepEqual(diffOf(leaveFrame), { count: 1, left: [{ connectionId: bob.connectionId, userId: null }] });
    await bob.close();
    const afterClose = await alice.ok({ type: "presence", room: "lobby" });
    assert.equal((afterClose.members as unknown[]).length, 1);
    await alice.close();
  });

  it("returns recent history and replays missed messages on join with since", async () => {
    const writer = await connect(server.url);
    await writer.ok({ type: "join", room: "news" });
    const first = await writer.ok({ type: "publish", room: "news", data: 1 });
    await writer.ok({ type: "publish", room: "news", data: 2 });
    await writer.ok({ type: "publish", room: "news", data: 3 });
    const history = await writer.ok({ type: "history", room: "news", limit: 2 });
    assert.deepEqual((history.messages as Array<{ data: number }>).map((message) => message.data), [2, 3]);
    const reader = await connect(server.url);
    const joined = await reader.ok({ type: "join", room: "news", since: { offset: first.offset, epoch: first.epoch } });
    assert.equal(joined.recovered, true);
    assert.equal(joined.offset, 3);
    const replayed = [await reader.nextOfType("message"), await reader.nextOfType("message")];
    assert.deepEqual(replayed.map((message) => message.offset), [2, 3]);
    const stale = await connect(server.url);
    const notRecovered = await stale.ok({ type: "join", room: "news", since: { offset: 1, epoch: "other-epoch" } });
    assert.equal(notRecovered.recovered, false);
    await stale.expectNone((frame) => frame.type === "message");
    await Promise.all([writer.close(), reader.close(), stale.close()]);
  });

  it("answers ping with pong carrying the id", async () => {
    const client = await connect(server.url);
    client.send({ type: "ping", id: "p1" });
    const pong = await client.nextOfType("pong");
    assert.equal(pong.id, "p1");
    assert.equal(typeof pong.ts, "number");
    await client.close();
  });

  it("gives every frame with an id exactly one reply, errors included", async () => {
    const client = await connect(server.url);
    client.send({ type: "leave", room: "never-joined", id: 10 });
    client.send({ type: "nope", id: 11 });
    client.send({ type: "join", room: "bad room!", id: 12 });
    client.send({ type: "join", id: 13 });
    const replies = [await client.nextOfType("reply"), await client.nextOfType("reply"), await client.nextOfType("reply"), await client.nextOfType("reply")];
    assert.deepEqual(
      replies.map((reply) => [reply.id, (reply.error as { code: string }).code]).sort(),
      [[10, "not_found"], [11, "unknown_type"], [12, "bad_request"], [13, "bad_request"]],
    );
    await client.expectNone((frame) => frame.type === "reply");
    await client.close();
  });

  it("answers bad input with bad_request and keeps serving everyone", async () => {
    const bystander = await connect(server.url);
    await bystander.ok({ type: "join", room: "calm" });
    const client = await connect(server.url);
    const badFrames: Array<string | Buffer> = [
      "not json",
      "[1,2,3]",
      "42",
      "null",
      JSON.stringify({ id: 1 }),
      JSON.stringify({ type: 5, id: 2 }),
      JSON.stringify({ type: "join", room: 7, id: 3 }),
      JSON.stringify({ type: "x", id: { nested: true } }),
      JSON.stringify({ type: "join", room: "r", since: "yesterday", id: 4 }),
      JSON.stringify({ type: "history", room: "r", limit: -1, id: 5 }),
    ];
    for (const frame of badFrames) client.send(frame);
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    for (let index = 0; index < badFrames.length + 1; index++) {
      const frame = await client.next((candidate) => candidate.type === "error" || candidate.type === "reply");
      const error = frame.error as { code: string; message: string };
      assert.equal(error.code, "bad_request", JSON.stringify(frame));
      assert.ok(error.message.length > 0);
    }
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    const publisher = await connect(server.url);
    await publisher.ok({ type: "join", room: "calm" });
    await publisher.ok({ type: "publish", room: "calm", data: "still here" });
    assert.equal((await bystander.nextOfType("message")).data, "still here");
    await Promise.all([client.close(), bystander.close(), publisher.close()]);
  });

  it("refuses publishing to a room the connection has not joined", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "publish", room: "elsewhere", data: 1 });
    assert.equal((reply.error as { code: string }).code, "forbidden");
    await client.close();
  });

  it("answers plain HTTP on the WebSocket path with 426", async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/ws`);
    assert.equal(response.status, 426);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";
import type { Pusher, PusherClientOptions } from "./support.js";
import { APP, connected, nextEvent, pusherClient, serverSdk, subscribed, startPusherServer } from "./support.js";

describe("pusher-js against one node", () => {
  let server: ApiServer;
  const clients: Pusher[] = [];
  const client = (options?: PusherClientOptions): Pusher => {
    const created = pusherClient(server, options);
    clients.push(created);
    return created;
  };

  before(async () => {
    server = await startPusherServer();
  });
  after(async () => {
    for (const created of clients) created.disconnect();
    await server.close();
  });

  it("connects and gets a socket id in the Pusher format", async () => {
    const pusher = client();
    await connected(pusher);
    assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
  });

  it("delivers server SDK triggers on a public channel, excluding socket_id", async () => {
    const [a, b] = [client(), client()];
    const { channel: channelA } = await subscribed(a, "news");
    const { channel: channelB } = await subscribed(b, "news");
    const received = nextEvent(channelA, "headline");
    const notForB = nextEvent(channelB, "headline", 300).then(
      () => "received",
      () => "excluded",
    );
    await serverSdk(server).trigger("news", "headline", { title: "hello" }, { socket_id: b.connection.socket_id });
    assert.deepEqual(await received, { title: "hello" });
    assert.equal(await notForB, "excluded");
  });

  it("a channel is a room: native clients and pusher-js reach each other", async () => {
    const pusher = client();
    const { channel } = await subscribed(pusher, "lobby");
    const native = await connect(server.url);
    await native.request({ type: "join", room: "lobby" });
    const fromNative = nextEvent(channel, "message");
    await native.request({ type: "publish", room: "lobby", data: { text: "from native" } });
    assert.deepEqual(await fromNative, { text: "from native" });

    const fromApi = nextEvent(channel, "score");
    const answer = await server.call("POST", "/api/publish", { room: "lobby", type: "score", data: { home: 1 } });
    assert.equal(answer.status, 200);
    assert.deepEqual(await fromApi, { home: 1 });

    const nativeGets = native.next((frame) => frame.type === "message" && (frame as { event?: string }).event === "goal");
    await serverSdk(server).trigger("lobby", "goal", { minute: 12 });
    const frame = await nativeGets;
    assert.equal(frame.room, "lobby");
    // The HTTP API sends data as a JSON string; it reaches native clients as that string.
    assert.deepEqual(JSON.parse(frame.data as string), { minute: 12 });
    await native.close();
  });

  it("subscribes to a private channel with a valid signature, and refuses a bad one", async () => {
    const good = client();
    await subscribed(good, "private-orders");
    const bad = client({ sdk: serverSdk(server, "not-the-app-secret") });
    await assert.rejects(subscribed(bad, "private-orders"), (error: Error & { detail?: { status?: number; type?: string } }) => {
      assert.equal(error.detail?.status, 401);
      assert.equal(error.detail?.type, "AuthError");
      return true;
    });
    // A native client cannot join the room of a private channel either.
    const native = await connect(server.url);
    const refused = await native.request({ type: "join", room: "private-orders" });
    assert.equal((refused.error as { code: string }).code, "forbidden");
    await native.close();
  });

  it("tracks presence with member_added and member_removed, once per user", async () => {
    const alice = client({ user: { id: "alice", info: { name: "Alice" } } });
    const { channel, data } = await subscribed(alice, "presence-room");
    assert.equal((data as { count: number }).count, 1);
    const added = nextEvent<{ id: string; info: unknown }>(channel, "pusher:member_added");
    const bob = client({ user: { id: "bob", info: { name: "Bob" } } });
    const { data: bobView } = await subscribed(bob, "presence-room");
    assert.deepEqual(await added, { id: "bob", info: { name: "Bob" } });
    assert.equal((bobView as { count: number }).count, 2);
    assert.deepEqual((bobView as { members: Record<string, unknown> }).members, { alice: { name: "Alice" }, bob: { name: "Bob" } });

    const users = (await serverSdk(server).get({ path: "/channels/presence-room/users" }).then((response) => response.json())) as { users: Array<{ id: string }> };
    assert.deepEqual(users.users.map((user) => user.id).sort(), ["alice", "bob"]);

    const removed = nextEvent<{ id: string }>(channel, "pusher:member_removed");
    bob.disconnect();
    assert.equal((await removed).id, "bob");
  });

  it("relays client events on private channels to the other subscribers", async () => {
    const [a, b] = [client(), client()];
    await subscribed(a, "private-chat");
    const { channel: channelB } = await subscribed(b, "private-chat");
    const typing = nextEvent(channelB, "client-typing");
    a.channel("private-chat")!.trigger("client-typing", { who: "a" });
    assert.deepEqual(await typing, { who: "a" });
  });

  it("answers pusher:ping with pusher:pong", async () => {
    const pusher = client();
    await connected(pusher);
    const pong = new Promise<void>((resolve) => pusher.connection.bind("message", (event: { event: string }) => event.event === "pusher:pong" && resolve()));
    pusher.connection.send_event("pusher:ping", {});
    await pong;
  });

  it("closes with 4001 for an unknown app key", async () => {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(`${server.url.replace("/ws", "")}/app/no-such-key?protocol=7`);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(data.toString()));
    const code = await new Promise<number>((resolve) => ws.on("close", (closeCode) => resolve(closeCode)));
    assert.equal(code, 4001);
    assert.equal(JSON.parse(messages[0]!).data.code, 4001);
    assert.equal(APP.key.length > 0, true);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "./support/client.js";
import { presenceWith } from "./support/presence.js";
import type { TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { TEST_SECRET, mintToken } from "./support/tokens.js";

async function errorCode(client: TestClient, frame: Record<string, unknown>): Promise<string | undefined> {
  const reply = await client.request(frame);
  return reply.ok === true ? undefined : (reply.error as { code: string }).code;
}

describe("room policies", () => {
  let server: TestServer;
  const as = async (user: string, claims: Record<string, unknown> = {}): Promise<TestClient> =>
    connect(`${server.url}?token=${await mintToken({ sub: user, ...claims }, { expiresIn: "1h" })}`);

  before(async () => {
    server = await startTestServer({
      auth: { jwt: { secret: TEST_SECRET } },
      rooms: [
        { match: "announcements", publish: "nobody" },
        { match: "staff:*", join: (subject) => subject.claims.role === "staff" },
        { match: "quiet:*", presence: false },
        { match: "ticker:{symbol}", join: (_subject, _room, params) => params.symbol !== "HALTED", publish: "nobody", history: false },
      ],
      canPublish: (subject, room) => !(room === "chat:general" && subject.claims.muted === true),
    });
  });
  after(() => server.close());

  it("lets only the named user into user:{id}", async () => {
    const alice = await as("alice");
    const bob = await as("bob");
    assert.equal(await errorCode(alice, { type: "join", room: "user:alice" }), undefined);
    assert.equal(await errorCode(bob, { type: "join", room: "user:alice" }), "forbidden");
    await Promise.all([alice.close(), bob.close()]);
  });

  it("lets only users a and b into private:{a}:{b}", async () => {
    const [alice, bob, eve] = await Promise.all([as("alice"), as("bob"), as("eve")]);
    assert.equal(await errorCode(alice, { type: "join", room: "private:alice:bob" }), undefined);
    assert.equal(await errorCode(bob, { type: "join", room: "private:alice:bob" }), undefined);
    assert.equal(await errorCode(eve, { type: "join", room: "private:alice:bob" }), "forbidden");
    assert.equal(await errorCode(eve, { type: "presence", room: "private:alice:bob" }), "forbidden");
    assert.equal(await errorCode(eve, { type: "history", room: "private:alice:bob" }), "forbidden");
    await Promise.all([alice.close(), bob.close(), eve.close()]);
  });

  it("applies join rules from configured patterns and claims", async () => {
    const staff = await as("sam", { role: "staff" });
    const guest = await as("gus");
    assert.equal(await errorCode(staff, { type: "join", room: "staff:ops" }), undefined);
    assert.equal(await errorCode(guest, { type: "join", room: "staff:ops" }), "forbidden");
    assert.equal(await errorCode(guest, { type: "join", room: "ticker:ACME" }), undefined);
    assert.equal(await errorCode(guest, { type: "join", room: "ticker:HALTED" }), "forbidden");
    await Promise.all([staff.close(), guest.close()]);
  });

  it("applies publish rules and the canPublish hook, while server code may still publish", async () => {
    const alice = await as("alice");
    const muted = await as("mute", { muted: true });
    await alice.ok({ type: "join", room: "announcements" });
    assert.equal(await errorCode(alice, { type: "publish", room: "announcements", data: 1 }), "forbidden");
    await server.sb.publish("announcements", { text: "from the server" });
    assert.deepEqual((await alice.nextOfType("message")).data, { text: "from the server" });
    await muted.ok({ type: "join", room: "chat:general" });
    assert.equal(await errorCode(muted, { type: "publish", room: "chat:general", data: 1 }), "forbidden");
    await alice.ok({ type: "join", room: "chat:general" });
    assert.equal(await errorCode(alice, { type: "publish", room: "chat:general", data: 1 }), undefined);
    await Promise.all([alice.close(), muted.close()]);
  });

  it("does not track presence where the policy turns it off", async () => {
    const alice = await as("alice");
    const bob = await as("bob");
    const joined = await alice.ok({ type: "join", room: "quiet:room" });
    assert.equal(joined.presence, undefined);
    await bob.ok({ type: "join", room: "quiet:room" });
    await alice.expectNone((frame) => frame.type === "presence");
    assert.equal(await errorCode(alice, { type: "presence", room: "quiet:room" }), "not_found");
    await Promise.all([alice.close(), bob.close()]);
  });

  it("keeps no history where the policy turns it off, while offsets still advance", async () => {
    const alice = await as("alice");
    await alice.ok({ type: "join", room: "ticker:ACME" });
    await server.sb.publish("ticker:ACME", { price: 1 });
    await server.sb.publish("ticker:ACME", { price: 2 });
    const history = await alice.ok({ type: "history", room: "ticker:ACME" });
    assert.deepEqual(history.messages, []);
    assert.equal(history.offset, 2);
    await alice.close();
  });

  it("validates room names", async () => {
    const alice = await as("alice");
    for (const room of ["", "has space", "x".repeat(129), "emoji🙂", "semi;colon"]) {
      assert.equal(await errorCode(alice, { type: "join", room }), "bad_request", room);
    }
    await alice.close();
  });
});

describe("single-room connections", () => {
  it("leaves the previous room when joining a new one with multipleRooms: false", async () => {
    const server = await startTestServer({ multipleRooms: false });
    try {
      const client = await connect(server.url);
      const watcher = await connect(server.url);
      await watcher.ok({ type: "join", room: "a" });
      await client.ok({ type: "join", room: "a" });
      await watcher.next(presenceWith("joined", client.connectionId, "a"));
      await client.ok({ type: "join", room: "b" });
      await watcher.next(presenceWith("left", client.connectionId, "a"));
      assert.equal(await errorCode(client, { type: "publish", room: "a", data: 1 }), "forbidden");
      await Promise.all([client.close(), watcher.close()]);
    } finally {
      await server.close();
    }
  });
});

describe("lifecycle hooks", () => {
  it("reports connect, join, message, leave and disconnect with code and reason", async () => {
    const server = await startTestServer();
    const seen: string[] = [];
    server.sb.on("connect", (connection) => seen.push(`connect:${connection.userId}`));
    server.sb.on("join", (_connection, room) => seen.push(`join:${room}`));
    server.sb.on("leave", (_connection, room) => seen.push(`leave:${room}`));
    server.sb.on("message", (_connection, frame) => seen.push(`message:${frame.type}`));
    const disconnected = new Promise<[number, string]>((resolve) => server.sb.on("disconnect", (_connection, code, reason) => resolve([code, reason])));
    try {
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "hooks" });
      await client.ok({ type: "leave", room: "hooks" });
      client.ws.close(4000, "bye now");
      assert.deepEqual(await disconnected, [4000, "bye now"]);
      assert.deepEqual(seen, ["connect:null", "message:join", "join:hooks", "message:leave", "leave:hooks"]);
    } finally {
      await server.close();
    }
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { RoomPolicies } from "../../src/rooms/room-policy.js";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { runCli, startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";

const API_KEY = "room-policies-test-key-0123456789";

/** One entry per rule kind, in the config file's own terms. */
const ROOMS = [
  { match: "announcements", publish: "nobody" },
  { match: "lobby:*", join: "anyone", publish: "members" },
  { match: "members-only:*", join: "authenticated", publish: "authenticated" },
  { match: "backstage", join: "members" },
  { match: "staff:*", join: "claim:role=staff" },
  { match: "team:{team}", join: "claim:teams={team}" },
  { match: "ticker:{symbol}", publish: "nobody", presence: false, history: { size: 2 } },
  { match: "typing:*", presence: false, history: false },
  { match: "stadium:*", presence: "count" },
  { match: "hall:*", presenceListLimit: 1 },
];

async function refusal(client: TestClient, frame: Record<string, unknown>): Promise<string | undefined> {
  const reply = await client.request(frame);
  return reply.ok === true ? undefined : (reply.error as { code: string }).code;
}

describe("room policies from the config file (JSON and YAML) of `switchboard start`", () => {
  let dir: string;
  let jwtServer: ServerProcess;
  let anonymousServer: ServerProcess;
  const clients: TestClient[] = [];
  const as = async (claims: Record<string, unknown> & { sub: string }): Promise<TestClient> => {
    const client = await connect(`${jwtServer.url}?token=${await mintToken(claims, { expiresIn: "10m" })}`);
    clients.push(client);
    return client;
  };
  const apiPublish = (room: string, data: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${jwtServer.port}/api/publish`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ room, data }) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-rooms-"));
    // The same policies as JSON for one server and YAML for the other.
    const json = join(dir, "switchboard.json");
    const yaml = join(dir, "switchboard.yaml");
    writeFileSync(json, JSON.stringify({ rooms: ROOMS, apiKeys: [API_KEY] }));
    writeFileSync(yaml, stringify({ rooms: ROOMS }));
    [jwtServer, anonymousServer] = await Promise.all([
      startServerProcess({ SWITCHBOARD_CONFIG: json, SWITCHBOARD_JWT_SECRET: TEST_SECRET }),
      startServerProcess({ SWITCHBOARD_CONFIG: yaml, SWITCHBOARD_AUTH: "anonymous" }),
    ]);
  });
  after(async () => {
    for (const client of clients) await client.close();
    await Promise.all([jwtServer?.stop(), anonymousServer?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("nobody: members may not publish to announcements, the server API may", async () => {
    const alice = await as({ sub: "alice" });
    await alice.ok({ type: "join", room: "announcements" });
    assert.equal(await refusal(alice, { type: "publish", room: "announcements", data: "hi" }), "forbidden");
    assert.equal((await apiPublish("announcements", { text: "deploy at noon" })).status, 200);
    const message = await alice.next((frame) => frame.type === "message" && frame.room === "announcements");
    assert.deepEqual(message.data, { text: "deploy at noon" });
  });

  it("anyone and members: anyone joins a lobby, only its members publish there", async () => {
    const bob = await as({ sub: "bob" });
    const carol = await as({ sub: "carol" });
    await bob.ok({ type: "join", room: "lobby:1" });
    assert.equal(await refusal(carol, { type: "publish", room: "lobby:1", data: "not in it" }), "forbidden");
    await bob.ok({ type: "publish", room: "lobby:1", data: "ready" });
    assert.equal((await bob.next((frame) => frame.type === "message" && frame.room === "lobby:1")).data, "ready");
  });

  it("authenticated: a user with a token joins, an anonymous connection is refused", async () => {
    const dave = await as({ sub: "dave" });
    await dave.ok({ type: "join", room: "members-only:news" });
    const anonymous = await connect(anonymousServer.url);
    clients.push(anonymous);
    assert.equal(await refusal(anonymous, { type: "join", room: "members-only:news" }), "forbidden");
    await anonymous.ok({ type: "join", room: "lobby:1" });
    await anonymous.ok({ type: "join", room: "announcements" });
    assert.equal(await refusal(anonymous, { type: "publish", room: "announcements", data: "x" }), "forbidden", "the YAML file's other entries apply too");
  });

  it("members: a client cannot join a room that only server code puts connections in", async () => {
    const erin = await as({ sub: "erin" });
    assert.equal(await refusal(erin, { type: "join", room: "backstage" }), "forbidden");
  });

  it("claim:<name>=<value>: a claim admits, and a {param} capture is compared with an array claim", async () => {
    const staff = await as({ sub: "frank", role: "staff" });
    const guest = await as({ sub: "grace", role: "guest", teams: ["red", "blue"] });
    await staff.ok({ type: "join", room: "staff:ops" });
    assert.equal(await refusal(guest, { type: "join", room: "staff:ops" }), "forbidden");
    await guest.ok({ type: "join", room: "team:blue" });
    assert.equal(await refusal(guest, { type: "join", room: "team:green" }), "forbidden");
    assert.equal(await refusal(staff, { type: "join", room: "team:blue" }), "forbidden");
  });

  it("presence and history: a ticker keeps no presence and its last 2 messages; typing rooms keep none", async () => {
    const heidi = await as({ sub: "heidi" });
    await heidi.ok({ type: "join", room: "ticker:ACME" });
    assert.equal(await refusal(heidi, { type: "presence", room: "ticker:ACME" }), "not_found");
    for (const price of [1, 2, 3]) assert.equal((await apiPublish("ticker:ACME", { price })).status, 200);
    const history = await heidi.ok({ type: "history", room: "ticker:ACME" });
    assert.deepEqual((history.messages as Array<{ data: unknown }>).map((message) => message.data), [{ price: 2 }, { price: 3 }]);

    await heidi.ok({ type: "join", room: "typing:chat-1" });
    await heidi.ok({ type: "publish", room: "typing:chat-1", data: { typing: true } });
    const typing = await heidi.ok({ type: "history", room: "typing:chat-1" });
    assert.deepEqual(typing.messages, []);
  });

  it("presence modes: a count-only room and a list limit give counts instead of member lists", async () => {
    const ivan = await as({ sub: "ivan" });
    const judy = await as({ sub: "judy" });
    assert.deepEqual((await ivan.ok({ type: "join", room: "stadium:final" })).presence, { count: 1, mode: "count" });
    assert.equal(((await ivan.ok({ type: "join", room: "hall:1" })).presence as { mode: string }).mode, "list", "one connection is within the limit");
    assert.deepEqual((await judy.ok({ type: "join", room: "hall:1" })).presence, { count: 2, mode: "count" }, "two are above it");
  });

  it("refuses to start on a bad entry, naming its index and match", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ rooms: [{ match: "lobby:*" }, { match: "ticker:{symbol}", publish: "admins" }] }));
    const result = await runCli(["start", "--config", bad], { SWITCHBOARD_PORT: "0" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /rooms\[1\] \(match "ticker:\{symbol\}"\) publish: unknown rule "admins"/);
  });
});

describe("room policies in the library", () => {
  it("take the same named rules, and refuse a bad pattern or rule with a TypeError naming the entry", () => {
    const policies = new RoomPolicies([{ match: "team:{team}", join: "claim:teams={team}" }]);
    const join = policies.resolve("team:red").join;
    assert.equal(typeof join, "function");
    if (typeof join !== "function") return;
    assert.equal(join({ id: "c1", userId: "u1", claims: { teams: ["red"] } }, "team:red", { team: "red" }), true);
    assert.equal(join({ id: "c2", userId: "u2", claims: { teams: "blue" } }, "team:red", { team: "red" }), false);
    assert.throws(() => new RoomPolicies([{ match: "ok" }, { match: "x:{bad-name}" }]), (error: Error) => error instanceof TypeError && /"rooms\[1\]" \(match "x:\{bad-name\}"\)/.test(error.message));
    assert.throws(() => new RoomPolicies([{ match: "x:{id}", publish: "claim:owner={user}" }]), /publish "claim:owner=\{user\}" uses \{user\}, which the match pattern does not capture/);
  });
});

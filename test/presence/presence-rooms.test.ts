import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PresenceDiff, PresencePage, PresenceSnapshot } from "switchboard";
import { connect as connectSdk } from "switchboard/client";
import { connect } from "../support/client.js";
import type { Frame, TestClient } from "../support/client.js";
import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { presenceWith } from "../support/presence.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

async function connectMany(url: string, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  // In batches, so that the upgrades of one test stay within the default per-IP rate.
  for (let start = 0; start < count; start += 20) clients.push(...(await Promise.all(Array.from({ length: Math.min(20, count - start) }, () => connect(url)))));
  return clients;
}

/** Pages through the `presence` command; returns every connection id seen, in order. */
async function pageAll(client: TestClient, room: string, limit: number): Promise<{ ids: string[]; pages: PresencePage[] }> {
  const ids: string[] = [];
  const pages: PresencePage[] = [];
  let cursor: string | null | undefined;
  for (let round = 0; round < 100; round++) {
    const page = (await client.ok({ type: "presence", room, limit, ...(cursor ? { cursor } : {}) })) as unknown as PresencePage;
    pages.push(page);
    ids.push(...page.entries.map((entry) => entry.connectionId));
    cursor = page.cursor;
    if (cursor === null) break;
  }
  return { ids, pages };
}

describe("presence in a room of many", () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startTestServer({
      // Wide enough that a burst of joins fits in few windows on a busy machine.
      presenceIntervalMs: 500,
      protection: { ipConnectionRate: { perSecond: 1_000, burst: 1_000 } },
      rooms: [
        { match: "small:*", presenceListLimit: 5 },
        { match: "counted:*", presence: "count" },
      ],
    });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  it("coalesces a burst of joins into few diffs that together name every joiner once", async () => {
    const watcher = await connect(server.url);
    clients.push(watcher);
    await watcher.ok({ type: "join", room: "burst" });
    const joiners = await connectMany(server.url, 60);
    clients.push(...joiners);
    const started = Date.now();
    await Promise.all(joiners.map((client) => client.ok({ type: "join", room: "burst" })));
    const expected = new Set(joiners.map((client) => client.connectionId));
    const named: string[] = [];
    const frames: Frame[] = [];
    while (expected.size > 0) {
      const frame = await watcher.nextOfType("presence", 5_000);
      frames.push(frame);
      for (const entry of (frame.data as PresenceDiff).joined ?? []) {
        if (entry.connectionId === watcher.connectionId) continue;
        named.push(entry.connectionId);
        expected.delete(entry.connectionId);
      }
    }
    const elapsed = Date.now() - started;
    assert.equal(named.length, 60, "each joiner is named once");
    assert.equal(new Set(named).size, 60);
    // At most one frame per interval (plus the leading one): bounded by the storm's length, not by the joiners.
    assert.ok(frames.length <= 2 + Math.ceil(elapsed / 500), `${frames.length} frames in ${elapsed} ms`);
    assert.ok(frames.length < 60, `${frames.length} frames for 60 joins`);
    assert.equal((frames.at(-1)!.data as PresenceDiff).count, 61);
  });

  it("bounds the join reply to a first page and pages the rest through the presence command", async () => {
    const late = await connect(server.url);
    clients.push(late);
    const reply = await late.ok({ type: "join", room: "burst" });
    const snapshot = reply.presence as PresenceSnapshot;
    assert.equal(snapshot.count, 62);
    assert.equal(snapshot.mode, "list");
    assert.ok(snapshot.entries!.length <= 100);
    const { ids, pages } = await pageAll(late, "burst", 25);
    assert.equal(pages.length, 3);
    assert.ok(pages.every((page) => page.entries.length <= 25 && page.count === 62));
    assert.equal(ids.length, 62);
    assert.equal(new Set(ids).size, 62);
    assert.ok(ids.includes(late.connectionId));
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { limit: "10" }, { cursor: "" }, { cursor: 5 }, { cursor: "not-a-cursor" }]) {
      const answer = await late.request({ type: "presence", room: "burst", ...bad });
      assert.equal((answer.error as { code: string }).code, "bad_request", JSON.stringify(bad));
    }
  });

  it("sends counts instead of lists above the policy's list limit, and lists again below it", async () => {
    const members = await connectMany(server.url, 7);
    clients.push(...members);
    const watcher = connectSdk(server.url, { reconnect: false });
    try {
      const room = await watcher.join("small:room");
      for (const client of members.slice(0, 4)) await client.ok({ type: "join", room: "small:room" });
      await waitFor(() => room.presenceCount === 5 && room.members?.length === 5, "an exact list of 5");
      assert.equal(room.presenceMode, "list");
      const sixth = await members[4]!.ok({ type: "join", room: "small:room" });
      assert.deepEqual(sixth.presence, { count: 6, mode: "count" }, "a join reply above the limit carries the count only");
      await members[5]!.ok({ type: "join", room: "small:room" });
      const counted = await members[0]!.next((frame) => frame.type === "presence" && frame.room === "small:room" && (frame.data as PresenceDiff).count === 7);
      assert.deepEqual(counted.data, { count: 7 }, "count mode: no member lists");
      await waitFor(() => room.presenceCount === 7, "the SDK's count to follow");
      assert.equal(room.members, undefined, "no stale list in count mode");
      assert.equal(room.presenceMode, "count");
      for (const client of members.slice(3, 6)) await client.ok({ type: "leave", room: "small:room" });
      // Back to 4: the diffs carry lists again and the SDK fetches an exact one.
      const ids = [watcher.welcome!.connectionId, ...members.slice(0, 3).map((client) => client.connectionId)].sort();
      await waitFor(() => JSON.stringify(room.presenceConnections?.map((entry) => entry.connectionId).sort()) === JSON.stringify(ids), "the exact list to come back", 5_000);
      assert.equal(room.presenceMode, "list");
    } finally {
      await watcher.close();
    }
  });

  it("keeps a count-only room in count mode at any size, with paging still answering", async () => {
    const [a, b] = await connectMany(server.url, 2);
    clients.push(a!, b!);
    assert.deepEqual((await a!.ok({ type: "join", room: "counted:x" })).presence, { count: 1, mode: "count" });
    assert.deepEqual((await b!.ok({ type: "join", room: "counted:x" })).presence, { count: 2, mode: "count" });
    const frame = await a!.next((candidate) => candidate.type === "presence" && (candidate.data as PresenceDiff).count === 2);
    assert.deepEqual(frame.data, { count: 2 });
    const page = (await a!.ok({ type: "presence", room: "counted:x", limit: 10 })) as unknown as PresencePage;
    assert.deepEqual(page.entries.map((entry) => entry.connectionId).sort(), [a!.connectionId, b!.connectionId].sort());
    await b!.ok({ type: "leave", room: "counted:x" });
    assert.deepEqual((await a!.next((candidate) => candidate.type === "presence" && (candidate.data as PresenceDiff).count === 1)).data, { count: 1 });
  });

  it("announces a leave to members with the diff, not to the one who left", async () => {
    const [stays, goes] = await connectMany(server.url, 2);
    clients.push(stays!, goes!);
    await stays!.ok({ type: "join", room: "leaving" });
    await goes!.ok({ type: "join", room: "leaving" });
    await stays!.next(presenceWith("joined", goes!.connectionId, "leaving"));
    await goes!.ok({ type: "leave", room: "leaving" });
    await stays!.next(presenceWith("left", goes!.connectionId, "leaving"));
    await goes!.expectNone(presenceWith("left", goes!.connectionId, "leaving"));
  });
});

describe("GET /api/rooms/{room}/presence with paging", () => {
  let api: ApiServer;
  const clients: TestClient[] = [];
  before(async () => {
    api = await startApiServer();
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await api.close();
  });

  it("pages with limit and cursor, and answers the grouped list without them", async () => {
    clients.push(...(await connectMany(api.url, 12)));
    for (const client of clients) await client.ok({ type: "join", room: "chat:paged" });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let round = 0; round < 10; round++) {
      const query: string = `limit=5${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const response = await api.call("GET", `/api/rooms/chat%3Apaged/presence?${query}`);
      assert.equal(response.status, 200);
      const page = response.body as unknown as PresencePage & { room: string };
      assert.equal(page.room, "chat:paged");
      assert.equal(page.count, 12);
      assert.ok(page.entries.length <= 5);
      seen.push(...page.entries.map((entry) => entry.connectionId));
      cursor = page.cursor;
      if (cursor === null) break;
    }
    assert.deepEqual([...seen].sort(), clients.map((client) => client.connectionId).sort());
    const whole = await api.call("GET", "/api/rooms/chat%3Apaged/presence");
    assert.equal((whole.body.members as unknown[]).length, 12);
    assert.equal((await api.call("GET", "/api/rooms/chat%3Apaged/presence?limit=0")).status, 400);
    assert.equal((await api.call("GET", "/api/rooms/chat%3Apaged/presence?limit=abc")).status, 400);
    assert.equal((await api.call("GET", "/api/rooms/chat%3Apaged/presence?cursor=zzz")).status, 400);
  });
});

// The member list behind useRoom comes from the client SDK's presence view, never from a
// `presence` read per frame: in a big list-mode room such reads cost every member O(N) per frame.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PresenceMember } from "switchboard";
import { connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { subscribeRoom } from "switchboard/react";
import type { RoomSnapshot } from "switchboard/react";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";
import { waitFor } from "../support/wait.js";

/** One row per user, in a stable order, so that two lists built in any order compare equal. */
function sorted(members: PresenceMember[]): PresenceMember[] {
  return [...members].sort((a, b) => String(a.userId).localeCompare(String(b.userId)));
}

describe("subscribeRoom presence (the member list behind useRoom)", { timeout: 60_000 }, () => {
  let server: TestServer;
  /** `presence` command frames received, by the user that sent them. */
  const presenceReads = new Map<string, number>();
  const clients: Array<SwitchboardClient<object, object>> = [];

  before(async () => {
    server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } }, presenceIntervalMs: 20,
      // One test fills a room with more connections than the default burst of upgrades per IP.
      protection: { ipConnectionRate: { perSecond: 1_000, burst: 1_000 } },
      rooms: [{ match: "count:*", presence: "count" }] });
    server.sb.on("message", (connection, frame) => {
      if (frame.type !== "presence") return;
      const user = connection.userId ?? "anonymous";
      presenceReads.set(user, (presenceReads.get(user) ?? 0) + 1);
    });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  async function client(user: string): Promise<SwitchboardClient<object, object>> {
    const created = connect(`${server.url}?token=${await mintToken({ sub: user }, { expiresIn: "1h" })}`);
    clients.push(created);
    return created;
  }
  const readsBy = (users: string[]): number => users.reduce((sum, user) => sum + (presenceReads.get(user) ?? 0), 0);
  const connectionsIn = (members: PresenceMember[]): number => members.reduce((sum, member) => sum + member.connections, 0);

  /** Subscribes one hook per user, each on its own client, and waits until all of them are joined. */
  async function hooks(room: string, users: string[]): Promise<{ snapshots: Map<string, RoomSnapshot<unknown>>; cleanups: Map<string, () => void> }> {
    const snapshots = new Map<string, RoomSnapshot<unknown>>();
    const cleanups = new Map<string, () => void>();
    for (const user of users) cleanups.set(user, subscribeRoom(await client(user), room, (next) => snapshots.set(user, next)));
    await waitFor(() => users.every((user) => snapshots.get(user)?.status === "joined"), "every hook joined", 10_000);
    return { snapshots, cleanups };
  }

  /** Waits until the server and every listed hook count `total` connections, then asserts the hooks' lists are the server's. */
  async function agreeWithServer(room: string, snapshots: Map<string, RoomSnapshot<unknown>>, users: string[], total: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (connectionsIn(await server.sb.presence(room)) !== total) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the server at ${total} connections`);
      await new Promise((done) => setTimeout(done, 10));
    }
    await waitFor(() => users.every((user) => connectionsIn(snapshots.get(user)!.members) === total), `every hook at ${total} connections`, 10_000);
    const expected = sorted(await server.sb.presence(room));
    for (const user of users) assert.deepEqual(sorted(snapshots.get(user)!.members), expected, `${user}'s member list`);
  }

  it("follows joins and leaves from the SDK's list, and sends no presence command after joining", async () => {
    const room = "chat:presence-hooks";
    const users = Array.from({ length: 8 }, (_, index) => `hook-${index}`);
    const { snapshots, cleanups } = await hooks(room, users);
    // The join reply carried the whole list: nothing was read, and nothing may be from here on.
    const readsAtJoin = readsBy(users);
    await agreeWithServer(room, snapshots, users, 8);
    assert.equal(readsBy(users), 0, "presence commands while joining a room the join reply lists whole");

    // Others come and go, one of them with two connections, and one hook unmounts.
    const others = await Promise.all(["churn-0", "churn-1", "churn-2", "churn-0"].map(async (user) => (await client(user)).join(room)));
    await agreeWithServer(room, snapshots, users, 12);
    await Promise.all([others[1]!.leave(), others[3]!.leave()]);
    cleanups.get("hook-7")!();
    const staying = users.slice(0, 7);
    await agreeWithServer(room, snapshots, staying, 9);
    await others[0]!.leave();
    await agreeWithServer(room, snapshots, staying, 8);
    await (await client("churn-3")).join(room);
    await agreeWithServer(room, snapshots, staying, 9);

    assert.equal(readsBy(users), readsAtJoin, "presence commands sent by the hooks' clients after their joins");
    for (const user of staying) assert.equal(snapshots.get(user)!.presenceCount, 9, `${user}'s presence count`);
    for (const cleanup of cleanups.values()) cleanup();
  });

  it("in a room larger than the join reply's first page, reads the list once per join (the SDK's paging), then only applies diffs", async () => {
    const room = "chat:presence-big";
    // More connections than the join reply's first page (100), so each joining SDK pages once.
    const crowd = await Promise.all(Array.from({ length: 120 }, (_, index) => client(`crowd-${index}`)));
    await Promise.all(crowd.map((member) => member.join(room)));
    const users = ["big-0", "big-1", "big-2"];
    const { snapshots, cleanups } = await hooks(room, users);
    await agreeWithServer(room, snapshots, users, 123);
    const readsAtJoin = readsBy(users);
    assert.ok(readsAtJoin <= users.length, `at most one page read per joining client, saw ${readsAtJoin}`);

    await Promise.all(crowd.slice(0, 30).map((member) => member.room(room)!.leave()));
    await agreeWithServer(room, snapshots, users, 93);
    await (await client("late")).join(room);
    await agreeWithServer(room, snapshots, users, 94);
    assert.equal(readsBy(users), readsAtJoin, "presence commands sent by the hooks' clients after their joins");
    for (const cleanup of cleanups.values()) cleanup();
  });

  it("reports the count and no list in a count-mode room", async () => {
    const room = "count:hooks";
    const { snapshots, cleanups } = await hooks(room, ["count-0", "count-1"]);
    await (await client("count-2")).join(room);
    await waitFor(() => ["count-0", "count-1"].every((user) => snapshots.get(user)!.presenceCount === 3), "the count at 3");
    for (const user of ["count-0", "count-1"]) assert.deepEqual(snapshots.get(user)!.members, []);
    assert.equal(readsBy(["count-0", "count-1"]), 0, "presence commands in a count-mode room");
    for (const cleanup of cleanups.values()) cleanup();
  });
});

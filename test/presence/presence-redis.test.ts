import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect as connectSdk } from "switchboard/client";
import type { Room, SwitchboardClient } from "switchboard/client";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

const ROOM = "race:room";

function idsOf(room: Room): string {
  return JSON.stringify(room.presenceConnections?.map((entry) => entry.connectionId).sort() ?? null);
}

describe("presence diffs across two nodes on Redis, applied by the client SDK", () => {
  let redis: PrivateRedis;
  let nodes: TestServer[];
  const raw: TestClient[] = [];
  const sdks: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    nodes = await startRedisNodes(redis.url, 2, { presenceIntervalMs: 50, protection: { ipConnectionRate: { perSecond: 2_000, burst: 2_000 } } });
  });
  after(async () => {
    await Promise.all([...raw.map((client) => client.close()), ...sdks.map((client) => client.close())]);
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  async function open(count: number, node: number): Promise<TestClient[]> {
    const opened: TestClient[] = [];
    for (let start = 0; start < count; start += 25) opened.push(...(await Promise.all(Array.from({ length: Math.min(25, count - start) }, () => connect(nodes[node]!.url)))));
    raw.push(...opened);
    return opened;
  }

  async function sdkOn(node: number): Promise<{ client: SwitchboardClient; room: Room }> {
    const client = connectSdk(nodes[node]!.url, { reconnect: false });
    sdks.push(client);
    return { client, room: await client.join(ROOM) };
  }

  it("ends with the exact member list on every node while joins and leaves race, pages included", async () => {
    const observerA = await sdkOn(0);
    const observerB = await sdkOn(1);
    // More than a join reply's first page (100), so that a late joiner must page while the room churns.
    const early = [...(await open(70, 0)), ...(await open(70, 1))];
    await Promise.all(early.map((client) => client.ok({ type: "join", room: ROOM })));
    const present = new Set<string>([observerA.client.welcome!.connectionId, observerB.client.welcome!.connectionId, ...early.map((client) => client.connectionId)]);
    await waitFor(() => observerA.room.presenceCount === present.size && observerB.room.presenceCount === present.size, "both observers to count everyone", 10_000);

    const newcomers = [...(await open(20, 0)), ...(await open(20, 1))];
    const flickers = [...(await open(5, 0)), ...(await open(5, 1))];
    const leaving = early.slice(0, 30);
    const closing = early.slice(30, 45);
    const rejoining = early.slice(45, 55);
    const late = connectSdk(nodes[1]!.url, { reconnect: false });
    sdks.push(late);
    // Everything at once: a late joiner paging, joins, leaves, closed sockets, join-then-leave, leave-then-rejoin.
    const [lateRoom] = await Promise.all([
      late.join(ROOM),
      ...newcomers.map((client) => client.ok({ type: "join", room: ROOM })),
      ...leaving.map((client) => client.ok({ type: "leave", room: ROOM })),
      ...closing.map((client) => client.close()),
      ...flickers.map(async (client) => {
        await client.ok({ type: "join", room: ROOM });
        await client.ok({ type: "leave", room: ROOM });
      }),
      ...rejoining.map(async (client) => {
        await client.ok({ type: "leave", room: ROOM });
        await client.ok({ type: "join", room: ROOM });
      }),
    ]);
    for (const client of newcomers) present.add(client.connectionId);
    for (const client of [...leaving, ...closing]) present.delete(client.connectionId);
    present.add(late.welcome!.connectionId);
    const expected = JSON.stringify([...present].sort());

    for (const [name, room] of [["observer on node 1", observerA.room], ["observer on node 2", observerB.room], ["late joiner on node 2", lateRoom]] as const) {
      await waitFor(() => idsOf(room) === expected, `the ${name} to hold the exact list`, 10_000);
      assert.equal(room.presenceCount, present.size, name);
      assert.equal(room.members!.length, present.size, `${name}: anonymous members are one row each`);
    }
    // And the store agrees.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 20; round++) {
      const page = await nodes[0]!.sb.presencePage(ROOM, { limit: 50, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.entries.map((entry) => entry.connectionId));
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    assert.equal(JSON.stringify([...new Set(seen)].sort()), expected);
  });

  it("carries meta updates to the SDK on the other node as updates of the kept list", async () => {
    const watcher = await sdkOn(1);
    const [typist] = await open(1, 0);
    await typist!.ok({ type: "join", room: ROOM });
    const events: string[] = [];
    watcher.room.on("presence", (event) => {
      if (event.connectionId === typist!.connectionId) events.push(event.event);
    });
    await typist!.ok({ type: "presence", room: ROOM, meta: { typing: true } });
    const typing = (): unknown => watcher.room.presenceConnections?.find((entry) => entry.connectionId === typist!.connectionId)?.meta;
    await waitFor(() => JSON.stringify(typing()) === '{"typing":true}', "the meta to arrive", 5_000);
    await typist!.ok({ type: "presence", room: ROOM, meta: null });
    await waitFor(() => typing() === undefined && watcher.room.presenceConnections?.some((entry) => entry.connectionId === typist!.connectionId) === true, "the meta to clear", 5_000);
    assert.ok(events.includes("update"), `events: ${events.join(",")}`);
  });
});

import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { MemoryHistoryStore, createServerApi } from "switchboard";
import { connect } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

const policy = { size: 100, ttlMs: 300_000 };

function head(room: string, text: string): string {
  return `${JSON.stringify({ type: "message", room, data: text, ts: 1 }).slice(0, -1)},"offset":`;
}

describe("the in-memory history store's budget", () => {
  it("keeps at most maxRoomBytes per room, dropping the oldest first", async () => {
    const store = new MemoryHistoryStore({ maxRoomBytes: 50_000 });
    try {
      for (let index = 0; index < 20; index++) store.appendNow("big", head("big", `${index}:${"x".repeat(10_000)}`), policy);
      const page = await store.read("big", undefined, 100);
      assert.ok(page.messages.length <= 5 && page.messages.length > 0, `${page.messages.length} messages kept`);
      assert.equal(page.messages.at(-1)!.offset, 20, "the newest is kept");
      assert.ok(store.heldBytes <= 50_000);
      const recovery = await store.read("big", { offset: 1, epoch: page.epoch }, 100);
      assert.equal(recovery.complete, false, "a recovery across dropped messages says so");
    } finally {
      await store.close();
    }
  });

  it("evicts the oldest messages of the least recently published rooms beyond maxBytes", async () => {
    const store = new MemoryHistoryStore({ maxBytes: 100_000 });
    try {
      for (let index = 0; index < 5; index++) store.appendNow("old", head("old", "o".repeat(10_000)), policy);
      for (let index = 0; index < 5; index++) store.appendNow("new", head("new", "n".repeat(10_000)), policy);
      // Over budget now: "old" was published to least recently, so it loses first.
      for (let index = 0; index < 4; index++) store.appendNow("new", head("new", "n".repeat(10_000)), policy);
      assert.ok(store.heldBytes <= 100_000, `held ${store.heldBytes}`);
      assert.equal((await store.read("new", undefined, 100)).messages.length, 9);
      assert.ok((await store.read("old", undefined, 100)).messages.length < 5);
    } finally {
      await store.close();
    }
  });

  it("counts a publication as recent use: a room published to again is evicted after the ones published to since", async () => {
    const store = new MemoryHistoryStore({ maxBytes: 100_000 });
    try {
      for (const room of ["a", "b", "c"]) for (let index = 0; index < 3; index++) store.appendNow(room, head(room, room.repeat(10_000)), policy);
      // "a" was published to least recently until now; after this, "b" is.
      store.appendNow("a", head("a", "a".repeat(10_000)), policy);
      // Over budget: the oldest messages of "b" go first, then "c"'s; "a" keeps all four.
      for (let index = 0; index < 2; index++) store.appendNow("d", head("d", "d".repeat(10_000)), policy);
      assert.ok(store.heldBytes <= 100_000, `held ${store.heldBytes}`);
      const kept = async (room: string): Promise<number> => (await store.read(room, undefined, 100)).messages.length;
      assert.equal(await kept("a"), 4);
      assert.ok((await kept("b")) < 3, "the least recently published room lost messages");
      assert.equal(await kept("d"), 2);
    } finally {
      await store.close();
    }
  });

  it("forgets a room nobody is in after vacantRoomTtlMs, and keeps an occupied quiet room's epoch past its ttlMs", async () => {
    const server = await startTestServer({ historyLimits: { vacantRoomTtlMs: 150 }, rooms: [{ match: "quiet:*", history: { size: 10, ttlMs: 100 } }] });
    const store = server.sb.historyStore as MemoryHistoryStore;
    try {
      const member = await connect(server.url);
      const joined = await member.ok({ type: "join", room: "quiet:kept" });
      await member.ok({ type: "publish", room: "quiet:kept", data: "first" });
      // The message expires with the room's ttlMs while the room stays joined (bounded polling, no timing asserted)...
      let page = await server.sb.history("quiet:kept");
      for (let attempt = 0; attempt < 300 && page.messages.length > 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        page = await server.sb.history("quiet:kept");
      }
      assert.equal(page.messages.length, 0, "the message expired");
      // ...and the next publication continues the same epoch, so a live client sees no false reset.
      const next = await member.ok({ type: "publish", room: "quiet:kept", data: "second" });
      assert.equal(next.epoch, joined.epoch);
      assert.equal(next.offset, 2);

      const visitor = await connect(server.url);
      const visited = await visitor.ok({ type: "join", room: "quiet:vacant" });
      await visitor.ok({ type: "publish", room: "quiet:vacant", data: "left behind" });
      await visitor.close();
      await waitFor(() => (store as unknown as { streams: Map<string, unknown> }).streams.has("quiet:vacant") === false, "the vacant room to be forgotten", 5_000);
      const returning = await connect(server.url);
      const rejoined = await returning.ok({ type: "join", room: "quiet:vacant", since: { offset: visited.offset, epoch: visited.epoch } });
      assert.equal(rejoined.recovered, false, "its history is gone, and the client is told");
      await Promise.all([member.close(), returning.close()]);
    } finally {
      await server.close();
    }
  });
});

describe("the node-wide outbound budget", () => {
  it("closes the connections holding the most unsent bytes with 4008 once the node is over maxNodeBufferedBytes", async () => {
    let flagged = 0;
    const server = await startTestServer({
      protection: { maxBufferedBytes: 64 * 1_048_576, maxNodeBufferedBytes: 2 * 1_048_576, sweepIntervalMs: 50 },
      observer: { refused: (reason) => void (reason === "slow_consumer" && flagged++) },
    });
    const api = createServerApi(server.sb);
    try {
      const stalled = await connect(server.url);
      const reader = await connect(server.url);
      await stalled.ok({ type: "join", room: "outbound:room" });
      await reader.ok({ type: "join", room: "outbound:room" });
      let read = 0;
      reader.ws.on("message", () => read++);
      (stalled.ws as unknown as { _socket: Socket })._socket.pause();
      const payload = "q".repeat(16_384);
      // Bounded: at most 2,000 frames of 16 KiB; the per-connection bound (64 MiB) is never what trips.
      let sent = 0;
      for (; sent < 2_000 && flagged === 0; sent++) {
        await server.sb.to("outbound:room").emit("tick", { payload });
        if (sent % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(flagged, 1, `the stalled client was flagged after ${sent} frames`);
      (stalled.ws as unknown as { _socket: Socket })._socket.resume();
      assert.equal((await stalled.closed).code, 4008);
      assert.match(await api.metrics.text(), /switchboard_outbound_queued_bytes \d+/);
      await waitFor(() => read >= sent, "the reading client to get every frame", 20_000);
      assert.equal(reader.ws.readyState, reader.ws.OPEN, "the reading client stays");
      await reader.close();
    } finally {
      api.close();
      await server.close();
    }
  });
});

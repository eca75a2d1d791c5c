import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MemoryHistoryStore } from "switchboard";
import type { HistoryStore } from "switchboard";
import { connect } from "./support/client.js";
import type { Frame, TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

/** A history store that answers a turn later, as a store in another process would. */
function asyncOnlyStore(): HistoryStore {
  const inner = new MemoryHistoryStore();
  return {
    name: "async-only",
    publish: (room, publication, broker) => new Promise<void>((resolve) => setImmediate(resolve)).then(() => inner.publish(room, publication, broker)),
    position: (room) => inner.position(room),
    read: (room, since, limit) => inner.read(room, since, limit),
    close: () => inner.close(),
  };
}

const isMessage = (frame: Frame): boolean => frame.type === "message";

async function publishAndCheck(server: TestServer, room: string): Promise<void> {
  const publisher = await connect(server.url);
  const member = await connect(server.url);
  await publisher.ok({ type: "join", room });
  await member.ok({ type: "join", room });
  for (const index of [1, 2, 3]) {
    const reply = await publisher.ok({ type: "publish", room, data: { index } });
    assert.equal(reply.offset, index);
    // The publisher's own copy is delivered before the reply to its publish.
    const echoed = publisher.frames.filter(isMessage).map((frame) => frame.offset);
    assert.deepEqual(echoed, [1, 2, 3].slice(0, index));
  }
  const delivered: Frame[] = [];
  for (let index = 0; index < 3; index++) delivered.push(await member.next(isMessage));
  assert.deepEqual(
    delivered.map((frame) => [frame.offset, (frame.data as { index: number }).index]),
    [
      [1, 1],
      [2, 2],
      [3, 3],
    ],
  );
  const page = await member.ok({ type: "history", room });
  assert.deepEqual(
    (page.messages as Frame[]).map((frame) => frame.offset),
    [1, 2, 3],
  );
  await Promise.all([publisher.close(), member.close()]);
}

describe("client publications", () => {
  describe("with the in-memory history store", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ rooms: [{ match: "open:*", presence: false }] });
    });
    after(() => server.close());

    it("numbers, delivers and keeps publications in order, echo before reply", async () => {
      await publishAndCheck(server, "open:memory");
    });
  });

  describe("with a history store that only appends asynchronously", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ history: asyncOnlyStore(), rooms: [{ match: "open:*", presence: false }] });
    });
    after(() => server.close());

    it("numbers, delivers and keeps publications in order, echo before reply", async () => {
      await publishAndCheck(server, "open:async");
    });
  });

  describe("with a publish rule that answers with a promise", () => {
    let server: TestServer;
    let member: TestClient;
    before(async () => {
      server = await startTestServer({
        rooms: [{ match: "gated:*", presence: false, publish: (_subject, room) => new Promise((resolve) => setImmediate(() => resolve(room !== "gated:closed"))) }],
      });
    });
    after(async () => {
      await member.close();
      await server.close();
    });

    it("waits for the rule: publishes where it allows, refuses where it does not", async () => {
      member = await connect(server.url);
      await member.ok({ type: "join", room: "gated:open" });
      await member.ok({ type: "join", room: "gated:closed" });
      const allowed = await member.request({ type: "publish", room: "gated:open", data: "hello" });
      assert.equal(allowed.ok, true);
      assert.equal((await member.next(isMessage)).data, "hello");
      const refused = await member.request({ type: "publish", room: "gated:closed", data: "nope" });
      assert.equal(refused.ok, false);
      assert.equal((refused.error as { code: string }).code, "forbidden");
      await member.expectNone(isMessage);
    });
  });
});

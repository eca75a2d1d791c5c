import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MemoryBroker, SwitchboardError } from "switchboard";
import { connect } from "./support/client.js";
import type { TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

/** Every way server code reaches the broker, each returning what the caller awaits. */
function everyPublish(server: TestServer): Record<string, () => Promise<unknown>> {
  const sb = server.sb;
  return {
    publish: () => sb.publish("open:fan", { n: 1 }),
    "volatile publish": () => sb.publish("open:fan", { n: 1 }, { volatile: true }),
    "to(room).emit": () => sb.to("open:fan").emit("tick", 1),
    "toUser().emit": () => sb.toUser("someone").emit("tick", 1),
    disconnect: () => sb.disconnect({ userId: "someone" }),
    "cluster.emit": () => sb.cluster.emit("jobs", { n: 1 }),
  };
}

describe("fan-out: one broker publish for every kind of message", () => {
  let server: TestServer;
  let member: TestClient;
  const broker = new MemoryBroker();
  const counts = { published: 0, failed: 0, broadcasts: 0, framesSent: 0 };

  before(async () => {
    server = await startTestServer({
      broker,
      rooms: [{ match: "open:*", presence: false }],
      observer: {
        brokerPublished: () => counts.published++,
        brokerFailed: (operation) => {
          assert.equal(operation, "publish");
          counts.failed++;
        },
        broadcastPublished: () => counts.broadcasts++,
        frameSent: (count) => (counts.framesSent += count),
      },
    });
    member = await connect(server.url);
    await member.ok({ type: "join", room: "open:fan" });
  });
  after(async () => {
    await member.close();
    await server.close();
  });

  it("counts each publish once, and each delivery once per recipient", async () => {
    const before = { ...counts };
    const publishes = everyPublish(server);
    for (const run of Object.values(publishes)) await run();
    assert.equal(counts.published - before.published, Object.keys(publishes).length);
    assert.equal(counts.failed, before.failed);
    // Publications and events a user sees: the two publishes and the two emits.
    assert.equal(counts.broadcasts - before.broadcasts, 4);
    // The member got both publishes and the room event (the user event has no one to reach).
    assert.equal(counts.framesSent - before.framesSent, 3);
    assert.equal((await member.nextOfType("message")).offset, 1);
    assert.equal((await member.nextOfType("message")).offset, undefined);
    assert.equal((await member.nextOfType("tick")).data, 1);
  });

  it("answers every failed publish with the same unavailable error, counted once each", async () => {
    await broker.close();
    const before = counts.failed;
    const messages = new Set<string>();
    for (const [name, run] of Object.entries(everyPublish(server))) {
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(error instanceof SwitchboardError, `${name} rejected with ${String(error)}`);
        assert.equal(error.code, "unavailable", name);
        messages.add(error.message);
        return true;
      });
    }
    assert.equal(counts.failed - before, Object.keys(everyPublish(server)).length);
    assert.deepEqual([...messages], ["The message broker or store is unavailable; retry later."]);
  });
});

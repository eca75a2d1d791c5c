import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "./support/client.js";
import type { TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { TEST_SECRET, mintToken } from "./support/tokens.js";

describe("broadcast API", () => {
  let server: TestServer;
  let alice1: TestClient;
  let alice2: TestClient;
  let bob: TestClient;
  let carol: TestClient;
  const everyone = (): TestClient[] => [alice1, alice2, bob, carol];

  before(async () => {
    server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } } });
    const as = async (user: string): Promise<TestClient> => connect(`${server.url}?token=${await mintToken({ sub: user }, { expiresIn: "1h" })}`);
    [alice1, alice2, bob, carol] = await Promise.all([as("alice"), as("alice"), as("bob"), as("carol")]);
    await alice1.ok({ type: "join", room: "game:1" });
    await bob.ok({ type: "join", room: "game:1" });
    await carol.ok({ type: "join", room: "game:2" });
    // Drain presence announcements so that tests below see only their own frames.
    await alice1.nextOfType("presence");
  });
  after(async () => {
    await Promise.all(everyone().map((client) => client.close()));
    await server.close();
  });

  async function receivers(type: string): Promise<string[]> {
    const got: string[] = [];
    await Promise.all(
      everyone().map(async (client, index) => {
        try {
          const frame = await client.nextOfType(type, 300);
          got.push(["alice1", "alice2", "bob", "carol"][index]!);
          assert.equal(typeof frame.ts, "number");
          await client.expectNone((candidate) => candidate.type === type, 100);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith("unexpected frame")) throw error;
        }
      }),
    );
    return got.sort();
  }

  it("reaches a room", async () => {
    await server.sb.to("game:1").emit("round_started", { round: 1 });
    assert.deepEqual(await receivers("round_started"), ["alice1", "bob"]);
  });

  it("reaches a room except one connection", async () => {
    await server.sb.to("game:1").except(alice1.connectionId).emit("tick", 1);
    assert.deepEqual(await receivers("tick"), ["bob"]);
  });

  it("carries the room in a single-room event frame", async () => {
    await server.sb.to("game:2").emit("scored", { points: 3 });
    const frame = await carol.nextOfType("scored");
    assert.equal(frame.room, "game:2");
    assert.deepEqual(frame.data, { points: 3 });
  });

  it("reaches every connection of a user", async () => {
    await server.sb.toUser("alice").emit("match_found", { matchId: "m1" });
    assert.deepEqual(await receivers("match_found"), ["alice1", "alice2"]);
  });

  it("reaches one connection", async () => {
    await server.sb.toConnection(bob.connectionId).emit("direct", {});
    assert.deepEqual(await receivers("direct"), ["bob"]);
  });

  it("reaches everyone", async () => {
    await server.sb.toAll().emit("maintenance", { at: "soon" });
    assert.deepEqual(await receivers("maintenance"), ["alice1", "alice2", "bob", "carol"]);
  });

  it("reaches the union of targets once per connection", async () => {
    await server.sb.to(["game:1", "game:2"]).toUser("alice").toConnection(bob.connectionId).emit("union", {});
    assert.deepEqual(await receivers("union"), ["alice1", "alice2", "bob", "carol"]);
  });

  it("applies a predicate on this node", async () => {
    await server.sb.toAll().filter((connection) => connection.userId !== "alice").emit("filtered", {});
    assert.deepEqual(await receivers("filtered"), ["bob", "carol"]);
  });

  it("publishes a message with an offset from server code", async () => {
    const result = await server.sb.publish("game:1", { from: "server" }, { event: "announcement" });
    assert.equal(typeof result.offset, "number");
    const frame = await bob.nextOfType("message");
    assert.equal(frame.event, "announcement");
    assert.equal(frame.offset, result.offset);
    assert.equal(frame.from, undefined);
    await alice1.nextOfType("message");
  });

  it("broadcasts from a handler through ctx.broadcast", async () => {
    server.sb.handle("shout", (ctx, data) => ctx.broadcast.to("game:1").except(ctx.connectionId).emit("shouted", data));
    await carol.ok({ type: "shout", data: "hey" });
    assert.deepEqual(await receivers("shouted"), ["alice1", "bob"]);
  });

  it("refuses protocol frame types as custom events", async () => {
    await assert.rejects(server.sb.toAll().emit("reply", {}), /frame type of the protocol/);
  });
});

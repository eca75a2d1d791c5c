import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { RedisBroker } from "../../src/redis/redis-broker.js";
import { RedisConnections } from "../../src/redis/redis-connections.js";
import { connect } from "../support/client.js";
import type { Frame, TestClient } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { pausableRedisStage } from "../support/pausable-redis.js";
import { waitFor } from "../support/wait.js";

const TIMEOUT_MS = 300;
/** How long a refusal may take: the deadline, its verdict after the I/O phase, and a loaded shared core. */
// Tells a bounded refusal from waiting for Redis to resume (the old behaviour), with room for a loaded machine.
const REFUSED_WITHIN_MS = TIMEOUT_MS * 10;
const POLICIES = { rooms: [{ match: "quiet:*", presence: false }] };

/** Subscribers of a room's channel as Redis counts them, all nodes together. */
async function subscribersOf(redisUrl: string, room: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const reply = (await redis.pubsub("NUMSUB", `switchboard:{room:${room}}`)) as [string, number];
    return Number(reply[1]);
  } finally {
    redis.disconnect();
  }
}

async function timedJoin(client: TestClient, room: string): Promise<{ reply: Frame; ms: number }> {
  const started = performance.now();
  // Longer than the client SDK's 10 s: a join the server never answers shows up as a slow reply, not a test timeout.
  const reply = await client.request({ type: "join", room }, 15_000);
  return { reply, ms: performance.now() - started };
}

function assertRefused(outcome: { reply: Frame; ms: number }, what: string): void {
  assert.equal(outcome.reply.ok, false, `${what}: joined while Redis was paused`);
  assert.equal((outcome.reply.error as { code: string }).code, "unavailable", `${what}: ${JSON.stringify(outcome.reply.error)}`);
  assert.ok(outcome.ms < REFUSED_WITHIN_MS, `${what}: refused after ${Math.round(outcome.ms)} ms`);
}

describe("a room's first subscription on a stalled Redis", () => {
  const stage = pausableRedisStage();

  for (const presence of [false, true]) {
    const room = presence ? "loud:stalled" : "quiet:stalled";
    it(`refuses a join with unavailable, then joins and delivers once Redis resumes (presence ${presence ? "on" : "off"})`, async () => {
      stage.nodes = await startRedisNodes(stage.redis.url, 2, POLICIES, { commandTimeoutMs: TIMEOUT_MS });
      const [first, second, later] = (stage.clients = await Promise.all([connect(stage.nodes[0]!.url), connect(stage.nodes[0]!.url), connect(stage.nodes[0]!.url)]));
      process.kill(stage.redis.pid!, "SIGSTOP");

      // Two joins at once share the one subscription attempt and are refused together.
      const [one, two] = await Promise.all([timedJoin(first!, room), timedJoin(second!, room)]);
      assertRefused(one, "first join");
      assertRefused(two, "concurrent join");
      // A refused room is not remembered as subscribed: the next join asks Redis again, and is refused again.
      assertRefused(await timedJoin(later!, room), "next join");

      process.kill(stage.redis.pid!, "SIGCONT");
      const joined = await first!.ok({ type: "join", room });
      assert.equal(joined.room, room);
      await stage.nodes[1]!.sb.publish(room, "from the other node");
      const message = await first!.next((frame) => frame.type === "message" && frame.room === room);
      assert.equal(message.data, "from the other node");
      assert.equal(await subscribersOf(stage.redis.url, room), 1);
    });
  }

  it("answers a second join of the same room, sent while the first is in flight, with the first's refusal", async () => {
    stage.nodes = await startRedisNodes(stage.redis.url, 1, POLICIES, { commandTimeoutMs: TIMEOUT_MS });
    const [client] = (stage.clients = [await connect(stage.nodes[0]!.url)]);
    process.kill(stage.redis.pid!, "SIGSTOP");
    // The second join finds the connection already in the room (the first put it there before subscribing).
    const [one, two] = await Promise.all([timedJoin(client!, "quiet:twice"), timedJoin(client!, "quiet:twice")]);
    assertRefused(one, "first join");
    assertRefused(two, "second join of the same room");
    process.kill(stage.redis.pid!, "SIGCONT");
    assert.equal((await client!.ok({ type: "join", room: "quiet:twice" })).room, "quiet:twice");
  });

  it("undoes a subscription Redis confirms after the join was refused", async () => {
    stage.nodes = await startRedisNodes(stage.redis.url, 2, POLICIES, { commandTimeoutMs: TIMEOUT_MS });
    const [client] = (stage.clients = [await connect(stage.nodes[0]!.url)]);
    process.kill(stage.redis.pid!, "SIGSTOP");
    assertRefused(await timedJoin(client!, "quiet:refused"), "join");
    process.kill(stage.redis.pid!, "SIGCONT");
    // Redis answers one connection's commands in order: once this later room's subscription is
    // confirmed on the same connection, the refused room's late SUBSCRIBE and its undo have both run.
    await client!.ok({ type: "join", room: "quiet:after" });
    assert.equal(await subscribersOf(stage.redis.url, "quiet:refused"), 0);
    assert.equal(await subscribersOf(stage.redis.url, "quiet:after"), 1);
    await stage.nodes[1]!.sb.publish("quiet:refused", "nobody here");
    await stage.nodes[1]!.sb.publish("quiet:after", "after");
    const next = await client!.next((frame) => frame.type === "message");
    assert.equal(next.room, "quiet:after");
  });

  it("keeps a late-confirmed subscription for a room joined again meanwhile", async () => {
    stage.nodes = await startRedisNodes(stage.redis.url, 2, POLICIES, { commandTimeoutMs: TIMEOUT_MS });
    const [refused, member] = (stage.clients = await Promise.all([connect(stage.nodes[0]!.url), connect(stage.nodes[0]!.url)]));
    process.kill(stage.redis.pid!, "SIGSTOP");
    assertRefused(await timedJoin(refused!, "quiet:again"), "refused join");
    // Sent while Redis is still paused: its SUBSCRIBE queues behind the refused one's and its undo.
    const joining = member!.request({ type: "join", room: "quiet:again" }, 15_000);
    process.kill(stage.redis.pid!, "SIGCONT");
    const reply = await joining;
    if (reply.ok !== true) {
      // The pause outlasted this join's deadline too (a loaded machine): it must have been refused cleanly, and the next one succeeds.
      assert.equal((reply.error as { code: string }).code, "unavailable");
      await member!.ok({ type: "join", room: "quiet:again" });
    }
    assert.equal(await subscribersOf(stage.redis.url, "quiet:again"), 1);
    await stage.nodes[1]!.sb.publish("quiet:again", "kept");
    assert.equal((await member!.next((frame) => frame.type === "message")).data, "kept");
  });

  it("answers a leave and closes a node while Redis is paused", async () => {
    stage.nodes = await startRedisNodes(stage.redis.url, 1, POLICIES, { commandTimeoutMs: TIMEOUT_MS });
    const [quiet, loud] = (stage.clients = await Promise.all([connect(stage.nodes[0]!.url), connect(stage.nodes[0]!.url)]));
    await quiet!.ok({ type: "join", room: "quiet:leaving" });
    await loud!.ok({ type: "join", room: "loud:leaving" });
    process.kill(stage.redis.pid!, "SIGSTOP");
    for (const [client, room] of [
      [quiet!, "quiet:leaving"],
      [loud!, "loud:leaving"],
    ] as const) {
      const started = performance.now();
      const reply = await client.request({ type: "leave", room }, 15_000);
      assert.equal(reply.ok, true, `${room}: ${JSON.stringify(reply.error)}`);
      assert.ok(performance.now() - started < REFUSED_WITHIN_MS, `${room}: left after ${Math.round(performance.now() - started)} ms`);
    }
    const started = performance.now();
    const closing = stage.nodes[0]!.close();
    // Bounded, so that a close waiting on Redis fails here; afterEach resumes Redis and lets it finish.
    let bound: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([closing.then(() => "closed"), new Promise<string>((resolve) => (bound = setTimeout(resolve, 10_000, "still closing")))]);
    clearTimeout(bound);
    assert.equal(outcome, "closed", `close did not finish in ${Math.round(performance.now() - started)} ms`);
    stage.nodes = [];
  });

  it("retries a resubscribe that a stalled Redis left unanswered, without waiting for a reconnect", async () => {
    const connections = new RedisConnections({ url: stage.redis.url, commandTimeoutMs: TIMEOUT_MS });
    const broker = new RedisBroker(connections, { node: "resubscribing" });
    const admin = new Redis(stage.redis.url);
    try {
      await broker.start(() => undefined);
      await broker.subscribe("room:kept");
      let stallNextReady = false;
      // Before the broker's own "ready" listener: Redis stops between its ready check and the broker's resubscribe.
      connections.subscriber.prependListener("ready", () => {
        if (!stallNextReady) return;
        stallNextReady = false;
        process.kill(stage.redis.pid!, "SIGSTOP");
      });
      stallNextReady = true;
      await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      await waitFor(() => !stallNextReady, "the subscriber to reconnect");
      // Sent after the resubscribe on the same connection, so refused no earlier than it: the resubscribe has failed.
      await assert.rejects(broker.subscribe("room:probe"), /timed out/);
      process.kill(stage.redis.pid!, "SIGCONT");
      await waitFor(() => broker.health().ok, "the broker to report its rooms subscribed again", TIMEOUT_MS * 10);
      assert.equal(await subscribersOf(stage.redis.url, "kept"), 1);
      assert.equal(await subscribersOf(stage.redis.url, "probe"), 0);
    } finally {
      admin.disconnect();
      await broker.close();
    }
  });
});

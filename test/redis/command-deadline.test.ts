import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SwitchboardError } from "switchboard";
import { RedisConnections } from "../../src/redis/redis-connections.js";
import { connect } from "../support/client.js";
import { startRedisNodes } from "../support/redis-nodes.js";
import { pausableRedisStage } from "../support/pausable-redis.js";

const TIMEOUT_MS = 100;

/** Keeps this process's event loop busy, as a node reading a join storm on a shared core is. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spinning: nothing else of this process runs, its sockets included.
  }
}

/**
 * Blocks the loop for `ms` in every timers phase and every check phase until stopped: whatever
 * a node sends to Redis, its reply waits through a block longer than the command timeout.
 */
function stallEveryTurn(ms: number): () => void {
  let running = true;
  const inTimers = (): void => {
    if (!running) return;
    blockFor(ms);
    setTimeout(inTimers, 0);
  };
  const inCheck = (): void => {
    if (!running) return;
    blockFor(ms);
    setImmediate(inCheck);
  };
  setTimeout(inTimers, 0);
  setImmediate(inCheck);
  return () => {
    running = false;
  };
}

describe("Redis command timeout", () => {
  const stage = pausableRedisStage();

  it("does not fail commands whose replies arrived while this process was busy", async () => {
    const connections = new RedisConnections({ url: stage.redis.url, commandTimeoutMs: TIMEOUT_MS }).acquire();
    try {
      const commands = await connections.usableCommands();
      const replies = Promise.allSettled(Array.from({ length: 50 }, (_, index) => commands.set(`deadline:${index}`, String(index))));
      // Redis answers within a millisecond; this process reads the answers only after 5 timeouts.
      blockFor(TIMEOUT_MS * 5);
      const outcomes = await replies;
      assert.deepEqual(outcomes.filter((outcome) => outcome.status === "rejected"), []);
      assert.equal(await commands.get("deadline:49"), "49");
    } finally {
      await connections.release();
    }
  });

  it("answers joins with presence while the node's event loop stalls longer than the timeout", async () => {
    stage.nodes = await startRedisNodes(stage.redis.url, 1, {}, { commandTimeoutMs: TIMEOUT_MS });
    stage.clients = await Promise.all(Array.from({ length: 5 }, () => connect(stage.nodes[0]!.url)));
    const stop = stallEveryTurn(TIMEOUT_MS * 3);
    let replies;
    try {
      replies = await Promise.all(stage.clients.map((client) => client.request({ type: "join", room: "stalled:room" }, 20_000)));
    } finally {
      stop();
    }
    for (const reply of replies) assert.equal(reply.ok, true, JSON.stringify(reply.error));
    assert.equal(((replies.at(-1)!.data as { presence: { count: number } }).presence.count > 0), true);
    const published = await stage.nodes[0]!.sb.publish("stalled:room", "after the stall");
    assert.equal(published.offset, 1);
  });

  it("fails commands to a paused Redis with unavailable within about the timeout, and serves again when it resumes", async () => {
    const timeoutMs = 300;
    // Upper bounds of 10× the timeout: they tell a bounded failure from waiting for Redis to resume
    // (the old behaviour), with room for a loaded CI machine, where a join's few commands may each wait.
    stage.nodes = await startRedisNodes(stage.redis.url, 1, {}, { commandTimeoutMs: timeoutMs });
    const [member, late] = (stage.clients = await Promise.all([connect(stage.nodes[0]!.url), connect(stage.nodes[0]!.url)]));
    await member!.ok({ type: "join", room: "paused:room" });
    process.kill(stage.redis.pid!, "SIGSTOP");

    let started = performance.now();
    const publish = await stage.nodes[0]!.sb.publish("paused:room", "while paused").then(
      () => undefined,
      (error: unknown) => error,
    );
    const publishMs = performance.now() - started;
    assert.ok(publish instanceof SwitchboardError, `publish: ${String(publish)}`);
    assert.equal(publish.code, "unavailable");
    assert.ok(publishMs >= timeoutMs - 5 && publishMs < timeoutMs * 10, `publish failed after ${Math.round(publishMs)} ms`);

    started = performance.now();
    const join = await late!.request({ type: "join", room: "paused:room" }, 10_000);
    const joinMs = performance.now() - started;
    assert.equal(join.ok, false);
    assert.equal((join.error as { code: string }).code, "unavailable");
    assert.ok(joinMs < timeoutMs * 10, `join refused after ${Math.round(joinMs)} ms`);

    process.kill(stage.redis.pid!, "SIGCONT");
    assert.equal((await late!.ok({ type: "join", room: "paused:room" })).room, "paused:room");
    assert.ok(((await stage.nodes[0]!.sb.publish("paused:room", "resumed")).offset ?? 0) >= 1);
    // The timed-out publish was in Redis's input when it paused and runs when it resumes: failing it
    // meant "not known to be delivered", as with any timeout.
    await member!.next((frame) => frame.type === "message" && frame.data === "resumed");
  });
});

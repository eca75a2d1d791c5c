import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";
import { SwitchboardClientError, connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { freePort, startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startTestServer } from "../support/server.js";
import { FAST_RECONNECT, StateLog, connected } from "./support.js";

function silentServer(): Switchboard {
  return createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: "silent" }) });
}

/** Waits `ms` and asserts the client's state did not change meanwhile (a bounded negative check). */
async function staysClosed(log: StateLog, ms = 300): Promise<void> {
  const seen = log.entries.length;
  await new Promise((resolve) => setTimeout(resolve, ms));
  assert.deepEqual(log.entries.slice(seen), [], "no state change after closing");
}

describe("client reconnects", () => {
  const processes: ServerProcess[] = [];
  const clients: SwitchboardClient[] = [];
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const server of processes) {
      if (server.child.signalCode === "SIGSTOP" || server.child.exitCode === null) server.child.kill("SIGCONT");
      await server.stop("SIGKILL");
    }
  });

  it("reconnects after the server process is killed and restarted, and rejoins its rooms", async () => {
    const first = await startServerProcess();
    processes.push(first);
    const client = connect(first.url, { reconnect: FAST_RECONNECT });
    clients.push(client);
    const log = new StateLog(client);
    const room = await client.join("chat:general");
    const resets: number[] = [];
    room.on("reset", (info) => resets.push(info.offset));
    const received: unknown[] = [];
    room.on("message", (data) => received.push(data));
    await room.publish({ text: "before" });
    await first.stop("SIGKILL");
    const reconnecting = await log.wait("reconnecting");
    assert.equal(reconnecting.info.code, 1006);

    const second = await startServerProcess({}, first.port);
    processes.push(second);
    await log.wait("connected", reconnecting.index);
    // The restarted node kept no history (in-memory): the rejoin reports the gap as unfillable.
    await waitUntil(() => resets.length === 1, "a reset event");
    const other = connect(second.url);
    clients.push(other);
    await (await other.join("chat:general")).publish({ text: "after" });
    await waitUntil(() => received.length === 2, "the message published after the restart");
    assert.deepEqual(received, [{ text: "before" }, { text: "after" }]);
    assert.deepEqual(log.states().slice(0, 2), ["connected", "reconnecting"]);
  });

  it("detects a dead connection with application pings and reconnects", async () => {
    const server = await startServerProcess();
    processes.push(server);
    const client = connect(server.url, { reconnect: FAST_RECONNECT, pingIntervalMs: 100, pongTimeoutMs: 300 });
    clients.push(client);
    const log = new StateLog(client);
    await connected(client);
    // A stopped process keeps its sockets open but answers nothing: only pings notice.
    server.child.kill("SIGSTOP");
    const reconnecting = await log.wait("reconnecting");
    assert.equal(reconnecting.info.reason, "no pong");
    server.child.kill("SIGCONT");
    await log.wait("connected", reconnecting.index);
  });

  it("does not reconnect after 4003", async () => {
    const server = await startTestServer();
    try {
      const client = connect(server.url, { reconnect: FAST_RECONNECT });
      clients.push(client);
      const log = new StateLog(client);
      await connected(client);
      await server.sb.disconnect({ connectionId: client.welcome!.connectionId, code: 4003, reason: "banned" });
      const closed = await log.wait("closed");
      assert.deepEqual(closed.info, { code: 4003, reason: "banned" });
      await staysClosed(log);
      assert.equal(server.sb.stats().connections, 0);
      const error = await client.request("anything", {}).catch((caught: unknown) => caught);
      assert.ok(error instanceof SwitchboardClientError);
      assert.equal(error.code, "closed");
    } finally {
      await server.close();
    }
  });

  it("does not reconnect after close()", async () => {
    const server = await startTestServer();
    try {
      const client = connect(server.url, { reconnect: FAST_RECONNECT });
      const log = new StateLog(client);
      await connected(client);
      await client.close();
      assert.equal(client.state, "closed");
      assert.equal(client.stateInfo.code, 1000);
      await staysClosed(log);
      assert.equal(server.sb.stats().connections, 0);
    } finally {
      await server.close();
    }
  });

  it("reconnects at once (no backoff) on 1012, then backs off while the node is down", async () => {
    const port = await freePort();
    const first = silentServer();
    await first.listen(port, "127.0.0.1");
    const client = connect(`ws://127.0.0.1:${port}/ws`, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    clients.push(client);
    const log = new StateLog(client);
    await connected(client);
    await first.close({ code: 1012, reason: "restart" });
    const immediate = await log.wait("reconnecting");
    assert.deepEqual(immediate.info, { code: 1012, reason: "restart", attempt: 1, delayMs: 0 });
    const retry = await log.wait("reconnecting", immediate.index + 1);
    assert.equal(retry.info.attempt, 2);
    assert.equal(retry.info.code, 1006);
    const second = silentServer();
    await second.listen(port, "127.0.0.1");
    try {
      await log.wait("connected", retry.index);
    } finally {
      await client.close();
      await second.close();
    }
  });
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Switchboard, matchByProperty, matchByPropertyPredicate, withFilter, withRateLimit } from "switchboard";
import type { ClusterEvent } from "switchboard";
import { installClusterEvents } from "../examples/cluster-events.js";
import { connect } from "./support/client.js";
import { clusterSuite } from "./support/cluster-suite.js";
import { SharedBus } from "./support/shared-broker.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { waitFor } from "./support/wait.js";

clusterSuite("in-process shared bus", () => {
  const bus = new SharedBus();
  return [{ broker: bus.broker() }, { broker: bus.broker() }];
});

describe("cluster events on one node with the default in-memory broker", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("runs subscribers on a later turn, never on the emitter's stack", async () => {
    const seen: unknown[] = [];
    const off = server.sb.cluster.on({ channel: "local" }, (event) => void seen.push(event.payload));
    const emitted = server.sb.cluster.emit("local", { n: 1 });
    assert.deepEqual(seen, []);
    await emitted;
    await waitFor(() => seen.length === 1, "the local event");
    assert.deepEqual(seen, [{ n: 1 }]);
    off();
    await server.sb.cluster.emit("local", { n: 2 });
    await server.sb.cluster.emit("other", null);
    await waitFor(() => server.sb.cluster.stats().received >= 3, "three events received");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(seen.length, 1);
  });

  it("composes filter, rate limit and property matchers", async () => {
    const ran: string[] = [];
    const done: string[] = [];
    server.sb.cluster.on({ match: matchByProperty("kind", "metric"), name: "metrics" }, withRateLimit((event: ClusterEvent) => void ran.push(`metric:${String((event.payload as { n: number }).n)}`), { max: 2, windowMs: 60_000, onLimited: () => void ran.push("limited") }));
    server.sb.cluster.on({ match: matchByPropertyPredicate("priority", (value) => typeof value === "number" && value > 5) }, withFilter((event) => !(event.payload as { muted?: boolean }).muted, () => void ran.push("urgent")));
    server.sb.cluster.on({ channel: "done" }, (event) => void done.push(String(event.payload)));
    for (let n = 1; n <= 3; n++) await server.sb.cluster.emit("analytics", { kind: "metric", n });
    await server.sb.cluster.emit("alert", { priority: 9 });
    await server.sb.cluster.emit("alert", { priority: 9, muted: true });
    await server.sb.cluster.emit("alert", { priority: 2 });
    await server.sb.cluster.emit("done", "x");
    await waitFor(() => done.length === 1, "the done event");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ran, ["metric:1", "metric:2", "limited", "urgent"]);
  });

  it("refuses malformed subscriptions with a TypeError", () => {
    assert.throws(() => server.sb.cluster.on({}, () => undefined), TypeError);
    assert.throws(() => server.sb.cluster.on({ channel: "" }, () => undefined), TypeError);
    assert.throws(() => server.sb.cluster.on({ channel: "x", priority: Number.NaN }, () => undefined), TypeError);
  });
});

describe("examples/cluster-events.ts on two nodes sharing a bus", () => {
  it("fans a status change out to every node's watchers and forwards queue jobs and audience to dashboards", async () => {
    const bus = new SharedBus();
    const [brokerA, brokerB] = [bus.broker(), bus.broker()];
    const a = await startTestServer({ nodeId: "node-a", broker: brokerA, cluster: { lifecycleEvents: true } });
    const b = await startTestServer({ nodeId: "node-b", broker: brokerB, cluster: { lifecycleEvents: true } });
    installClusterEvents(a.sb);
    installClusterEvents(b.sb);
    const watcherA = await connect(a.url);
    const dashboardB = await connect(b.url);
    const setter = await connect(b.url);
    try {
      await watcherA.ok({ type: "join", room: "status-watchers" });
      await dashboardB.ok({ type: "join", room: "status-watchers" });
      await dashboardB.ok({ type: "join", room: "dashboard" });
      assert.deepEqual(await setter.ok({ type: "status:set", data: { status: "away" } }), { ok: true });
      for (const watcher of [watcherA, dashboardB]) {
        assert.deepEqual((await watcher.nextOfType("status")).data, { userId: setter.connectionId, status: "away" });
      }
      await a.sb.cluster.emit("queue.job.failed", { id: "j1", queue: "mail", error: "smtp down" });
      assert.deepEqual((await dashboardB.nextOfType("queue")).data, { action: "errored", job: { id: "j1", queue: "mail", error: "smtp down" }, node: "node-a" });
      await watcherA.ok({ type: "join", room: "dashboard" });
      // dashboardB first hears of its own join (node-b), then of the join on node-a.
      assert.deepEqual((await dashboardB.nextOfType("audience")).data, { userId: null, node: "node-b", joined: true });
      assert.deepEqual((await dashboardB.nextOfType("audience")).data, { userId: null, node: "node-a", joined: true });
    } finally {
      await Promise.all([watcherA.close(), dashboardB.close(), setter.close()]);
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("a stuck cluster subscriber", () => {
  it("has at most maxPending events in flight; later ones are dropped, logged and reported", async () => {
    const failures: string[] = [];
    const server = await startTestServer({ cluster: { maxPending: 2 }, observer: { clusterSubscriberFailed: (name, reason) => failures.push(`${name}:${reason}`) } });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    let others = 0;
    try {
      server.sb.cluster.on({ channel: "jobs", name: "stuck" }, async () => {
        started++;
        await gate;
      });
      server.sb.cluster.on({ channel: "jobs", name: "healthy" }, () => void others++);
      for (let n = 0; n < 4; n++) await server.sb.cluster.emit("jobs", n);
      await waitFor(() => others === 4, "the healthy subscriber to see all four events");
      assert.equal(started, 2);
      assert.deepEqual(failures, ["stuck:overloaded", "stuck:overloaded"]);
      assert.equal(server.sb.cluster.stats().dropped, 2);
      release();
      await waitFor(() => server.sb.cluster.stats().handled === 6, "the stuck runs to finish");
      await server.sb.cluster.emit("jobs", 5);
      await waitFor(() => started === 3, "the released subscriber to take events again");
    } finally {
      release();
      await server.close();
    }
  });

  it("refuses a bad cluster option with a TypeError naming it", () => {
    assert.throws(() => new Switchboard({ cluster: { maxPending: 0 } }), /cluster\.maxPending/);
  });
});

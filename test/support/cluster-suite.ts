import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { z } from "zod";
import { ClusterLifecycle, SwitchboardError, withErrorHandler, withRetry, withValidation } from "switchboard";
import type { ClusterEvent, SwitchboardOptions } from "switchboard";
import { connect } from "./client.js";
import type { TestClient } from "./client.js";
import { startTestServer } from "./server.js";
import type { TestServer } from "./server.js";
import { waitFor } from "./wait.js";

interface Node extends TestServer {
  failures: Array<[subscriber: string, reason: string]>;
  barriers: string[];
}

const BARRIER = "test.barrier";

/**
 * The cluster-events contract, run against any two linked nodes: `backends`
 * returns each node's broker (and stores) options for the given node ids, e.g.
 * an in-process SharedBus, or Redis backends on one redis-server.
 */
export type NodeBackends = (nodeIds: [string, string]) => SwitchboardOptions[] | Promise<SwitchboardOptions[]>;

export function clusterSuite(label: string, backends: NodeBackends): void {
  describe(`cluster events across two nodes (${label})`, () => {
    const open: Node[] = [];
    const clients: TestClient[] = [];

    async function twoNodes(optionsA: SwitchboardOptions = {}, optionsB: SwitchboardOptions = {}): Promise<[Node, Node]> {
      const [backendA, backendB] = await backends(["node-a", "node-b"]);
      const a = await startNode({ ...backendA, nodeId: "node-a", ...optionsA });
      const b = await startNode({ ...backendB, nodeId: "node-b", ...optionsB });
      return [a, b];
    }

    async function startNode(options: SwitchboardOptions): Promise<Node> {
      const failures: Node["failures"] = [];
      const server = await startTestServer({ observer: { clusterSubscriberFailed: (subscriber, reason) => failures.push([subscriber, reason]) }, ...options });
      const node: Node = { ...server, failures, barriers: [] };
      server.sb.cluster.on({ channel: BARRIER, priority: -1_000_000, name: "barrier" }, (event) => {
        node.barriers.push(event.payload as string);
      });
      open.push(node);
      return node;
    }

    /** Emits a barrier from `from` and waits until every node ran it: every earlier event from `from` has been dispatched by then. */
    async function settle(from: Node, nodes: Node[]): Promise<void> {
      const token = `${from.sb.node}-${Math.random()}`;
      await from.sb.cluster.emit(BARRIER, token);
      await waitFor(() => nodes.every((node) => node.barriers.includes(token)), `barrier ${token}`);
    }

    async function client(node: Node): Promise<TestClient> {
      const opened = await connect(node.url);
      clients.push(opened);
      return opened;
    }

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((opened) => opened.close()));
      await Promise.all(open.splice(0).map((node) => node.close()));
    });

    it("runs the matching subscribers of both nodes in priority order, and no others", async () => {
      const [a, b] = await twoNodes();
      const runs = new Map<string, string[]>([
        ["node-a", []],
        ["node-b", []],
      ]);
      for (const node of [a, b]) {
        const record = (what: string) => (event: ClusterEvent) => {
          runs.get(event.node)!.push(`${what}:${event.channel}:${event.origin}`);
        };
        const { cluster } = node.sb;
        cluster.on({ channel: "order.placed", priority: 1 }, record("low"));
        cluster.on({ channels: ["order.placed", "order.paid"], priority: 10 }, record("high"));
        cluster.on({ match: /^order\./, priority: 5 }, record("regex"));
        cluster.on({ match: [(payload) => (payload as { vip?: boolean }).vip === true], priority: 7 }, record("vip"));
        cluster.on({ channel: "order.cancelled", priority: 100 }, record("cancelled"));
        cluster.on({ match: /^user\./, priority: 100 }, record("user"));
        cluster.on({ match: (payload) => (payload as { vip?: boolean }).vip === false, priority: 100 }, record("not-vip"));
      }
      await a.sb.cluster.emit("order.placed", { id: 1, vip: true });
      await settle(a, [a, b]);
      const expected = ["high", "vip", "regex", "low"].map((what) => `${what}:order.placed:node-a`);
      assert.deepEqual(runs.get("node-a"), expected);
      assert.deepEqual(runs.get("node-b"), expected);
    });

    it("gives the handler the payload as JSON, the channel, both node ids, and refuses what JSON cannot carry", async () => {
      const [a, b] = await twoNodes();
      const seen: ClusterEvent[] = [];
      b.sb.cluster.on({ channel: "shape" }, (event) => {
        seen.push(event);
      });
      await a.sb.cluster.emit("shape", { list: [1, "two", null, { deep: true }], skipped: undefined });
      await waitFor(() => seen.length === 1, "shape event on node-b");
      assert.deepEqual(seen[0]!.payload, { list: [1, "two", null, { deep: true }] });
      assert.equal(seen[0]!.origin, "node-a");
      assert.equal(seen[0]!.node, "node-b");
      assert.equal(seen[0]!.local, false);
      for (const bad of [{ when: new Date() }, { n: Number.NaN }, { big: 1n }, new Map(), undefined, { f: () => 1 }, [1, undefined], [1, , 3]]) {
        await assert.rejects(a.sb.cluster.emit("shape", bad), (error: unknown) => error instanceof SwitchboardError && error.code === "bad_request");
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(a.sb.cluster.emit("shape", cyclic), /circular/);
      await assert.rejects(a.sb.cluster.emit(ClusterLifecycle.connectionOpened, {}), /Switchboard's own/);
      await assert.rejects(a.sb.cluster.emit("", {}), /non-empty/);
    });

    it("delivers a node's own events to its subscribers unless emitToSelf is false", async () => {
      const [a, b] = await twoNodes({ cluster: { emitToSelf: false } });
      const seen: string[] = [];
      for (const node of [a, b]) node.sb.cluster.on({ channel: "ping" }, (event) => void seen.push(`${event.node}<-${event.origin}`));
      await a.sb.cluster.emit("ping", null);
      await b.sb.cluster.emit("ping", null);
      await settle(b, [a, b]);
      assert.deepEqual(seen.sort(), ["node-a<-node-b", "node-b<-node-a", "node-b<-node-b"]);
    });

    it("lets middleware skip a handler, see its result, and suppress its error", async () => {
      const [a, b] = await twoNodes();
      const trace: string[] = [];
      b.sb.cluster.on(
        {
          channel: "job",
          name: "jobs",
          middleware: [
            { name: "gate", before: (event) => (event.payload as { run: boolean }).run },
            {
              name: "audit",
              before: async () => void trace.push("before"),
              after: (_event, result) => void trace.push(`after:${String(result)}`),
              error: (_event, error) => {
                trace.push(`error:${(error as Error).message}`);
                return (error as Error).message === "expected";
              },
            },
          ],
        },
        (event) => {
          const { fail } = event.payload as { fail?: string };
          if (fail !== undefined) throw new Error(fail);
          trace.push("handler");
          return "done";
        },
      );
      await a.sb.cluster.emit("job", { run: false });
      await a.sb.cluster.emit("job", { run: true });
      await a.sb.cluster.emit("job", { run: true, fail: "expected" });
      await a.sb.cluster.emit("job", { run: true, fail: "unexpected" });
      await settle(a, [b]);
      await waitFor(() => b.sb.cluster.stats().failed === 1, "the unsuppressed failure");
      assert.deepEqual(trace, ["before", "handler", "after:done", "before", "error:expected", "before", "error:unexpected"]);
      assert.deepEqual(b.failures, [["jobs", "threw"]]);
      const stats = b.sb.cluster.stats();
      assert.equal(stats.skipped, 1);
      assert.equal(stats.failed, 1);
    });

    it("retries a failing handler the stated number of times, then reports the failure", async () => {
      const [a, b] = await twoNodes();
      let flaky = 0;
      let broken = 0;
      const retried: number[] = [];
      b.sb.cluster.on({ channel: "sync", name: "flaky" }, withRetry(() => {
        flaky++;
        if (flaky < 3) throw new Error(`attempt ${flaky}`);
      }, { retries: 4, delayMs: 1 }));
      b.sb.cluster.on({ channel: "sync", name: "broken" }, withRetry(() => {
        broken++;
        throw new Error("always");
      }, { retries: 2, delayMs: 1, factor: 3, onRetry: (_error, attempt) => retried.push(attempt) }));
      await a.sb.cluster.emit("sync", {});
      await waitFor(() => b.failures.length === 1, "the broken handler's failure");
      assert.equal(broken, 3);
      assert.deepEqual(retried, [2, 3]);
      assert.equal(flaky, 3);
      assert.deepEqual(b.failures, [["broken", "threw"]]);
    });

    it("keeps running the next subscribers when one throws, synchronously or not", async () => {
      const [a, b] = await twoNodes();
      const ran: string[] = [];
      for (const node of [a, b]) {
        node.sb.cluster.on({ channel: "tick", priority: 3, name: "sync-thrower" }, () => {
          throw new Error("sync");
        });
        node.sb.cluster.on({ channel: "tick", priority: 2, name: "async-thrower" }, async () => {
          await Promise.resolve();
          throw new Error("async");
        });
        node.sb.cluster.on({ channel: "tick", priority: 1, name: "handled" }, withErrorHandler(() => {
          throw new Error("caught");
        }, (error, event) => void ran.push(`${event.node}:caught:${(error as Error).message}`)));
        node.sb.cluster.on({ channel: "tick", priority: 0 }, (event) => void ran.push(`${event.node}:last`));
      }
      await a.sb.cluster.emit("tick", 1);
      await a.sb.cluster.emit("tick", 2);
      await settle(a, [a, b]);
      await waitFor(() => a.failures.length === 4 && b.failures.length === 4, "four failures per node");
      assert.deepEqual(ran.filter((entry) => entry.endsWith("last")).sort(), ["node-a:last", "node-a:last", "node-b:last", "node-b:last"]);
      assert.equal(ran.filter((entry) => entry.endsWith("caught:caught")).length, 4);
      assert.deepEqual(b.failures.map(([name]) => name).sort(), ["async-thrower", "async-thrower", "sync-thrower", "sync-thrower"]);
    });

    it("validates payloads with a Standard Schema before the handler runs", async () => {
      const [a, b] = await twoNodes();
      const accepted: Array<{ userId: string; status: string }> = [];
      b.sb.cluster.on({ channel: "status", name: "status" }, withValidation(z.object({ userId: z.string(), status: z.enum(["online", "away"]) }), (event) => {
        accepted.push(event.payload);
      }));
      await a.sb.cluster.emit("status", { userId: "u1", status: "sleeping" });
      await a.sb.cluster.emit("status", { userId: "u1", status: "away" });
      await settle(a, [b]);
      await waitFor(() => b.failures.length === 1, "the invalid payload's failure");
      assert.deepEqual(accepted, [{ userId: "u1", status: "away" }]);
    });

    it("never makes WebSocket replies wait for a slow subscriber", async () => {
      const [a, b] = await twoNodes();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let slowStarted = 0;
      let slowFinished = 0;
      let fastRuns = 0;
      for (const node of [a, b]) {
        node.sb.cluster.on({ channel: "work", priority: 10, name: "slow" }, async () => {
          slowStarted++;
          await gate;
          slowFinished++;
        });
        node.sb.cluster.on({ channel: "work", priority: 1, name: "fast" }, () => void fastRuns++);
        node.sb.handle("work", async (ctx) => {
          await node.sb.cluster.emit("work", { by: ctx.connectionId });
          return { queued: true };
        });
      }
      const onA = await client(a);
      const onB = await client(b);
      try {
        assert.deepEqual(await onA.ok({ type: "work" }), { queued: true });
        await waitFor(() => slowStarted === 2 && fastRuns === 2, "both nodes to start the slow and run the fast subscriber");
        assert.deepEqual(await onB.ok({ type: "work" }), { queued: true });
        assert.equal((await onA.request({ type: "ping" })).type, "pong");
        await waitFor(() => fastRuns === 4, "the fast subscriber to run for the second event");
        assert.equal(slowFinished, 0);
      } finally {
        release();
      }
      await waitFor(() => slowFinished === 4, "the slow subscriber to finish");
    });

    it("publishes connection and room lifecycle events with the node id", async () => {
      const [a, b] = await twoNodes({ cluster: { lifecycleEvents: true } }, { cluster: { lifecycleEvents: true } });
      const seen: Array<{ channel: string; payload: Record<string, unknown> }> = [];
      b.sb.cluster.on({ match: /^switchboard:/ }, (event) => void seen.push({ channel: event.channel, payload: event.payload as Record<string, unknown> }));
      const onA = await client(a);
      const id = onA.connectionId;
      await a.sb.joinConnection(id, "lobby");
      await onA.close();
      await waitFor(() => seen.some((entry) => entry.channel === ClusterLifecycle.connectionClosed), "connection.closed on node-b");
      const common = { node: "node-a", connectionId: id, userId: null };
      assert.deepEqual(seen, [
        { channel: ClusterLifecycle.connectionOpened, payload: common },
        { channel: ClusterLifecycle.roomJoined, payload: { ...common, room: "lobby" } },
        { channel: ClusterLifecycle.roomLeft, payload: { ...common, room: "lobby" } },
        { channel: ClusterLifecycle.connectionClosed, payload: { ...common, code: 1000, reason: "" } },
      ]);
    });

    it("lets a subscriber broadcast to WebSocket clients on every node, or on its own node only", async () => {
      const [a, b] = await twoNodes();
      // Seed-style status change: any node emits; one subscriber per node fans it out to its local clients.
      for (const node of [a, b]) {
        node.sb.cluster.on({ channel: "user.status", name: "statusFanout" }, (event) => event.localBroadcast.to("status").emit("status", event.payload));
      }
      // Queue dashboard: only the node that saw the job forwards it, to every node's dashboard room.
      a.sb.cluster.on({ channels: ["queue.done", "queue.failed"], name: "queueDashboard" }, (event) =>
        event.broadcast.to("dashboard").emit("queue", { state: event.channel === "queue.done" ? "done" : "errored", job: event.payload }),
      );
      const watcherA = await client(a);
      const watcherB = await client(b);
      const outsider = await client(b);
      for (const watcher of [watcherA, watcherB]) await watcher.ok({ type: "join", room: "status" });
      await watcherB.ok({ type: "join", room: "dashboard" });
      await b.sb.cluster.emit("user.status", { userId: "u1", status: "online" });
      for (const watcher of [watcherA, watcherB]) {
        const frame = await watcher.nextOfType("status");
        assert.deepEqual(frame.data, { userId: "u1", status: "online" });
      }
      await a.sb.cluster.emit("queue.failed", { id: 7 });
      assert.deepEqual((await watcherB.nextOfType("queue")).data, { state: "errored", job: { id: 7 } });
      await outsider.expectNone((frame) => frame.type === "status" || frame.type === "queue", 100);
      await watcherA.expectNone((frame) => frame.type === "status", 100);
    });
  });
}

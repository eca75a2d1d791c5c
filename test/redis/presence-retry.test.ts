import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createRedisBackends } from "switchboard";
import { connect } from "switchboard/client";
import type { Room, SwitchboardClient } from "switchboard/client";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { waitFor } from "../support/wait.js";

const ROOM = "retry:room";
/** Short, so that a stalled Redis fails commands quickly; the default is 5 s. */
const COMMAND_TIMEOUT_MS = 300;

interface Member {
  node: number;
  client: SwitchboardClient;
  id: string;
  room: Room | undefined;
}

/**
 * Every node's presence batches must survive a Redis that refuses or stalls their
 * commands: the publish that carries a node's changes to the cluster (outbound), and
 * the count read that builds the frame for its members (inbound). Each node talks to
 * Redis as its own ACL user, so one node's publishes or count reads can be refused
 * while everything else keeps working; the last phase stalls the whole server.
 */
describe("presence batches across two nodes while Redis refuses or stalls their commands", () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let nodes: TestServer[];
  const members = new Set<Member>();
  const everyone: SwitchboardClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    nodes = [];
    for (const index of [1, 2]) {
      await admin.call("ACL", "SETUSER", `node${index}`, "on", `>secret${index}`, "~*", "&*", "+@all");
      const backends = createRedisBackends(`redis://node${index}:secret${index}@127.0.0.1:${redis.port}`, { nodeId: `node-${index}`, commandTimeoutMs: COMMAND_TIMEOUT_MS });
      nodes.push(await startTestServer({ ...backends, presenceIntervalMs: 50, protection: { ipConnectionRate: { perSecond: 2_000, burst: 2_000 } } }));
    }
  });
  after(async () => {
    await Promise.all(everyone.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.close()));
    admin.disconnect();
    await redis.stop();
  });

  async function joined(node: number): Promise<Member> {
    const member = await opened(node);
    member.room = await member.client.join(ROOM);
    members.add(member);
    return member;
  }

  async function opened(node: number): Promise<Member> {
    const client = connect(nodes[node]!.url, { reconnect: false });
    everyone.push(client);
    await waitFor(() => client.welcome !== undefined, "the welcome", 5_000);
    return { node, client, id: client.welcome!.connectionId, room: undefined };
  }

  async function leave(member: Member): Promise<void> {
    await member.room!.leave();
    member.room = undefined;
    members.delete(member);
  }

  async function close(member: Member): Promise<void> {
    members.delete(member);
    await member.client.close();
  }

  /**
   * Joins, leaves, closed sockets, leave-then-rejoin and join-then-leave on `node`, all
   * at once; `members` follows what the server answered (a refused join is no member).
   * A join whose reply's snapshot lists a connection that then leaves within the same
   * window must hear that leave (test/presence/join-reply-race.test.ts makes that race
   * deterministic).
   */
  async function churn(node: number, fresh: Member[]): Promise<void> {
    const existing = onNode(node);
    const [leavers, closers, rejoiners] = [existing.slice(0, 2), existing.slice(2, 3), existing.slice(3, 5)];
    const join = async (member: Member): Promise<void> => {
      member.room = await member.client.join(ROOM);
      members.add(member);
    };
    const outcomes = await Promise.allSettled([
      ...fresh.slice(0, 4).map(join),
      ...leavers.map(leave),
      ...closers.map(close),
      ...rejoiners.map(async (member) => {
        await leave(member);
        await join(member);
      }),
      ...fresh.slice(4).map(async (member) => {
        await join(member);
        await leave(member);
      }),
    ]);
    for (const outcome of outcomes) if (outcome.status === "rejected") assert.equal((outcome.reason as { code?: string }).code, "unavailable", String(outcome.reason));
  }

  function openMany(node: number, count: number): Promise<Member[]> {
    return Promise.all(Array.from({ length: count }, () => opened(node)));
  }

  function onNode(node: number): Member[] {
    return [...members].filter((member) => member.node === node);
  }

  async function deniedCommands(user: string, command: string): Promise<number> {
    const entries = (await admin.call("ACL", "LOG")) as unknown[][];
    let count = 0;
    for (const entry of entries) {
      const fields = new Map<string, unknown>();
      for (let index = 0; index < entry.length; index += 2) fields.set(String(entry[index]), entry[index + 1]);
      if (fields.get("username") === user && fields.get("object") === command) count += Number(fields.get("count"));
    }
    return count;
  }

  /** Every member's list, on both nodes, equals the store, which holds exactly the members. */
  async function assertExact(phase: string): Promise<void> {
    const expected = JSON.stringify([...members].map((member) => member.id).sort());
    for (const member of members) {
      await waitFor(() => idsOf(member.room!) === expected, `${phase}: ${member.id}'s list to equal the members (has ${idsOf(member.room!)}, want ${expected})`, 10_000);
    }
    for (const node of nodes) {
      const page = await node.sb.presencePage(ROOM, { limit: 1_000 });
      assert.equal(page.cursor, null);
      assert.equal(JSON.stringify(page.entries.map((entry) => entry.connectionId).sort()), expected, `${phase}: the store`);
    }
  }

  it("sends a node's refused publishes again, in order, once Redis accepts them", async () => {
    // Seven a node: through every phase each node keeps a member that stays, so the room stays subscribed there
    // (a node's first join of a room subscribes, which waits for a stalled Redis rather than timing out).
    await Promise.all([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1].map((node) => joined(node)));
    await assertExact("before");
    const [fresh1, fresh2] = await Promise.all([openMany(0, 6), openMany(1, 6)]);
    await admin.call("ACL", "LOG", "RESET");
    // Node 1's announcements are refused; its joins and leaves reach the store.
    await admin.call("ACL", "SETUSER", "node1", "-publish");
    await Promise.all([churn(0, fresh1), churn(1, fresh2)]);
    assert.ok((await deniedCommands("node1", "publish")) > 0, "node 1's announcements were refused");
    await admin.call("ACL", "SETUSER", "node1", "+publish");
    await assertExact("after node 1 could publish again");
  });

  it("delivers the batches whose count read failed once the count can be read", async () => {
    const [fresh, refused] = await Promise.all([openMany(0, 6), opened(1)]);
    await admin.call("ACL", "LOG", "RESET");
    // Node 2 cannot count: the frames for its members cannot be built, and its own joins fail.
    await admin.call("ACL", "SETUSER", "node2", "-hlen");
    await assert.rejects(refused.client.join(ROOM), (error: { code?: string }) => error.code === "unavailable");
    await Promise.all([churn(0, fresh), ...onNode(1).slice(0, 2).map(close)]);
    assert.ok((await deniedCommands("node2", "hlen")) > 0, "node 2's count reads were refused");
    await admin.call("ACL", "SETUSER", "node2", "+hlen");
    await assertExact("after node 2 could count again");
  });

  it("ends exact after the whole server stalled past the command timeout", async () => {
    const pid = Number(/process_id:(\d+)/.exec(await admin.info("server"))![1]);
    const [fresh1, fresh2] = await Promise.all([openMany(0, 6), openMany(1, 6)]);
    process.kill(pid, "SIGSTOP");
    try {
      // Every command times out meanwhile, so the churn ends while Redis is still stopped.
      await Promise.all([churn(0, fresh1), churn(1, fresh2)]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await assertExact("after the stall");
  });
});

function idsOf(room: Room): string {
  return JSON.stringify(room.presenceConnections?.map((entry) => entry.connectionId).sort() ?? null);
}

import { startRedisServer } from "../../test/support/redis-server.js";
import { generatorFigures, lastDelivery, openAll, resetAll, round, startServer, stopAll, sumDelivered, waitDelivered } from "../harness.js";
import type { ServerUnderTest } from "../harness.js";
import type { RpcClient } from "../rpc.js";
import type { Figures, ScenarioContext } from "./types.js";

/**
 * Cross-room throughput of Switchboard on Redis, one node against two: `rooms`
 * rooms of `members`, each room's members spread over the nodes, every room
 * publishing as fast as its watcher sees deliveries. A private redis-server
 * on a free port; both nodes share the server core, so this measures the cost
 * of the Redis path rather than the gain of a second machine.
 */
export async function redis(context: ScenarioContext, nodes: number, clients: RpcClient[]): Promise<Figures> {
  const { rooms, members, messagesPerRoom, window } = context.sizes.redis;
  const store = await startRedisServer();
  const servers: ServerUnderTest[] = [];
  try {
    for (let node = 0; node < nodes; node++) servers.push(await startServer({ target: "switchboard", redisUrl: store.url, nodeId: `bench-${node + 1}` }, `switchboard node ${node + 1}`));
    context.progress(`connecting to ${nodes} node(s)`);
    const common = { protocol: "switchboard" as const, concurrency: 50, timeoutMs: 30_000 };
    // Room r belongs to process r mod P; members of room r alternate between nodes.
    const owned = clients.map(() => [] as number[]);
    for (let room = 0; room < rooms; room++) owned[room % clients.length]!.push(room);
    for (let node = 0; node < nodes; node++) {
      const perProcess = owned.map((list) => list.flatMap((room) => Array.from({ length: members - 2 }, (_, member) => ((member + room) % nodes === node ? `bench:x-${room}` : undefined)).filter((name): name is string => name !== undefined)));
      await openAll(clients, perProcess, { ...common, base: servers[node]!.base });
    }
    // Publishers on node r mod N, then watchers (last to join) on the next node.
    const publishers = await Promise.all(clients.map((client, process) => openEach(client, owned[process]!, (room) => servers[room % nodes]!.base)));
    const watchers = await Promise.all(clients.map((client, process) => openEach(client, owned[process]!, (room) => servers[(room + 1) % nodes]!.base)));
    await resetAll(clients, false);
    context.progress(`publishing through ${nodes} node(s)`);
    const results = await Promise.all(
      clients.map((client, process) => {
        const list = owned[process]!;
        const pairs = list.map((room, index) => ({ room: `bench:x-${room}`, publisher: publishers[process]![index]!, watcher: watchers[process]![index]! }));
        if (pairs.length === 0) return Promise.resolve({ published: 0, startedAt: Number.POSITIVE_INFINITY });
        return client.call<{ published: number; startedAt: number }>("pump", { rooms: pairs, messagesPerRoom, window, timeoutMs: 60_000 }, 70_000);
      }),
    );
    const published = results.reduce((sum, result) => sum + result.published, 0);
    const expected = published * members;
    const reports = await waitDelivered(clients, expected, 10_000);
    const delivered = sumDelivered(reports);
    const startedAt = Math.min(...results.map((result) => result.startedAt));
    return {
      deliveredPerSecond: round(delivered / ((lastDelivery(reports) - startedAt) / 1000)),
      delivered,
      lost: expected - delivered,
      nodes,
      ...generatorFigures(reports),
    };
  } finally {
    await stopAll(servers, []);
    await store.stop();
  }
}

/** Opens one connection per room (in room order, each joining it) on the node `baseOf` picks; returns each one's connection index. */
async function openEach(client: RpcClient, owned: number[], baseOf: (room: number) => string): Promise<number[]> {
  const indexes: number[] = [];
  for (const room of owned) {
    const opened = await openAll([client], [[`bench:x-${room}`]], { protocol: "switchboard", base: baseOf(room), concurrency: 1, timeoutMs: 30_000 });
    indexes.push(opened.firstIndex[0]!);
  }
  return indexes;
}

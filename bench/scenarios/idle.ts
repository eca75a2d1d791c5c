import { JWT_SECRET, openAll, round, shares, stopAll } from "../harness.js";
import type { RpcClient } from "../rpc.js";
import type { Figures, ScenarioContext, Variant } from "./types.js";

interface Memory {
  rss: number;
  heapUsed: number;
}

/**
 * Idle authenticated connections, each joined to a room of `roomSize`: the
 * server's RSS and heap growth (after a full GC) divided by the number of
 * connections. Runs before any other load on its server process.
 */
export async function idle(context: ScenarioContext, variant: Variant, clients: RpcClient[]): Promise<Figures> {
  const { connections, roomSize } = context.sizes.idle;
  const server = await variant.start(true);
  try {
    // The first collection after start-up frees start-up garbage; measure from the settled heap.
    await server.rpc!.call<Memory>("memory");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await server.rpc!.call<Memory>("memory");
    context.progress("connecting");
    let global = 0;
    const perProcess = shares(connections, clients.length).map((count) => Array.from({ length: count }, () => `bench:idle-${Math.floor(global++ / roomSize)}`));
    await openAll(clients, perProcess, { protocol: variant.protocol, base: server.base, concurrency: 50, timeoutMs: 60_000, jwtSecret: JWT_SECRET });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await server.rpc!.call<Memory>("memory");
    return {
      rssBytesPerConnection: round((after.rss - before.rss) / connections),
      heapBytesPerConnection: round((after.heapUsed - before.heapUsed) / connections),
      serverRssMiB: round(after.rss / 1048576, 1),
      connections,
    };
  } finally {
    await stopAll(server, []);
  }
}

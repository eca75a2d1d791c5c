import { JWT_SECRET, openAll, round, shares, stopAll } from "../harness.js";
import { pinning } from "../processes.js";
import type { RpcClient } from "../rpc.js";
import type { Figures, ScenarioContext, Variant } from "./types.js";

/**
 * Connection rate with JWT auth: every generator process opens its share with
 * `concurrency` upgrades in flight; a connection counts once the server's
 * first frame (welcome, Socket.IO connect ack) or, for ws, the open arrived.
 * Tokens are minted before the clock starts.
 */
export async function connect(context: ScenarioContext, variant: Variant, clients: RpcClient[]): Promise<Figures> {
  const { connections, concurrency } = context.sizes.connect;
  const server = await variant.start(true);
  try {
    context.progress("connecting");
    const perProcess = shares(connections, clients.length).map((count) => new Array<undefined>(count).fill(undefined));
    const opened = await openAll(clients, perProcess, { protocol: variant.protocol, base: server.base, concurrency, timeoutMs: 60_000, jwtSecret: JWT_SECRET });
    const startedAt = Math.min(...opened.results.map((result) => result.startedAt));
    const endedAt = Math.max(...opened.results.map((result) => result.endedAt));
    const loads = opened.results.map((result) => result.cpuMicros / 1000 / Math.max(1, result.endedAt - result.startedAt));
    const total = loads.reduce((sum, load) => sum + load, 0);
    return {
      connectionsPerSecond: round(connections / ((endedAt - startedAt) / 1000)),
      connections,
      concurrency: concurrency * clients.length,
      generatorCpu: round(total, 2),
      generatorSaturated: Math.max(...loads) > 0.9 || (pinning.available && total > 0.9),
    };
  } finally {
    await stopAll(server, []);
  }
}

import { round, startServer, stopAll } from "../harness.js";
import { pinning, startChild } from "../processes.js";
import type { SlowConsumersResult } from "../slow-consumers-child.js";
import type { RpcClient } from "../rpc.js";
import type { Figures, ScenarioContext } from "./types.js";

/**
 * 100 clients that never read and 500 that do, in one room, with a publisher at
 * a fixed rate: the stalled clients' buffers fill, the server drops them (4008,
 * then destroys their sockets after the grace period), and the readers'
 * latency must not show it. Prints the readers' p50/p99 for every second.
 * Switchboard only, with its default slow-consumer settings (1 MiB, 5 s grace).
 */
export async function slowConsumers(context: ScenarioContext, _clients: RpcClient[]): Promise<Figures> {
  const sizes = context.sizes.slowConsumers;
  const server = await startServer({ target: "switchboard", defaultSlowConsumers: true }, "switchboard (slow consumers)");
  const generator = startChild("./slow-consumers-child.ts", "slow-consumers generator", pinning.available ? pinning.clients : undefined);
  try {
    context.progress(`${sizes.stalled} stalled + ${sizes.readers} reading clients, ${sizes.perSecond} publications/s for ${sizes.durationMs / 1000} s`);
    const result = await generator.call<SlowConsumersResult>("run", { base: server.base, room: "bench:slow", ...sizes, timeoutMs: 30_000 }, sizes.durationMs + 120_000);
    const lines = result.seconds.map((second) => `  ${String(second.second).padStart(3)} s  ${String(second.deliveries).padStart(7)} deliveries  p50 ${second.p50Ms.toFixed(1).padStart(7)} ms  p99 ${second.p99Ms.toFixed(1).padStart(7)} ms  max ${second.maxMs.toFixed(1).padStart(7)} ms`);
    console.log(`\nslow-consumers: reading clients' latency per second (${sizes.stalled} stalled clients dropped meanwhile: ${JSON.stringify(result.stalledClosed)})\n${lines.join("\n")}\n`);
    const worst = result.seconds.reduce((max, second) => (second.deliveries > 0 ? Math.max(max, second.p99Ms) : max), 0);
    return {
      p50Ms: round(result.all.p50Ms, 2),
      p99Ms: round(result.all.p99Ms, 2),
      worstSecondP99Ms: round(worst, 2),
      maxMs: round(result.all.maxMs, 2),
      published: result.published,
      delivered: result.delivered,
      lost: result.published * sizes.readers - result.delivered,
      stalledDropped: Object.values(result.stalledClosed).reduce((sum, count) => sum + count, 0),
      generatorLoopDelayP99Ms: round(result.loopDelayP99Ms, 1),
      perSecondP99Ms: result.seconds.map((second) => round(second.p99Ms, 1)).join(" "),
    };
  } finally {
    await stopAll(server, [generator]);
  }
}

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
    // A second without deliveries has no percentiles (NaN, null after the IPC's JSON): shown as "—".
    const ms = (value: number | null): string => (typeof value === "number" && Number.isFinite(value) ? value.toFixed(1) : "—").padStart(7);
    const lines = result.seconds.map((second) => `  ${String(second.second).padStart(3)} s  ${String(second.deliveries).padStart(7)} deliveries  p50 ${ms(second.p50Ms)} ms  p99 ${ms(second.p99Ms)} ms  max ${ms(second.maxMs)} ms`);
    const readersDropped = Object.keys(result.readersClosed).length === 0 ? "" : `; READERS DROPPED TOO (${JSON.stringify(result.readersClosed)}): the generator could not keep up, so these figures measure the machine, not the server`;
    console.log(`\nslow-consumers: reading clients' latency per second (${sizes.stalled} stalled clients dropped meanwhile: ${JSON.stringify(result.stalledClosed)}${readersDropped})\n${lines.join("\n")}\n`);
    const worst = result.seconds.reduce((max, second) => (second.deliveries > 0 ? Math.max(max, second.p99Ms) : max), 0);
    const silentSeconds = result.seconds.filter((second) => second.deliveries === 0).length;
    return {
      p50Ms: round(result.all.p50Ms, 2),
      p99Ms: round(result.all.p99Ms, 2),
      worstSecondP99Ms: round(worst, 2),
      maxMs: round(result.all.maxMs, 2),
      published: result.published,
      delivered: result.delivered,
      lost: result.published * sizes.readers - result.delivered,
      stalledDropped: Object.values(result.stalledClosed).reduce((sum, count) => sum + count, 0),
      readersDropped: Object.values(result.readersClosed).reduce((sum, count) => sum + count, 0),
      generatorLoopDelayP99Ms: round(result.loopDelayP99Ms, 1),
      secondsWithoutDeliveries: silentSeconds,
      perSecondP99Ms: result.seconds.map((second) => (second.deliveries === 0 ? "—" : String(round(second.p99Ms, 1)))).join(" "),
    };
  } finally {
    await stopAll(server, [generator]);
  }
}

import { generatorFigures, serverCpu, serverFigures, openAll, resetAll, round, shares, stopAll, sumDelivered, waitDelivered } from "../harness.js";
import { percentiles } from "../stats.js";
import type { RpcClient } from "../rpc.js";
import type { Figures, ScenarioContext, Variant } from "./types.js";

/**
 * Many rooms at a fixed rate: connection i is in room i mod `rooms`; each
 * room's first connection publishes. Every publication carries its send time;
 * receivers subtract it from their clock (same machine) to get publish-to-delivery latency.
 */
export async function latency(context: ScenarioContext, variant: Variant, clients: RpcClient[]): Promise<Figures> {
  const { connections, rooms, perSecond, durationMs } = context.sizes.latency;
  const server = await variant.start(false);
  try {
    context.progress("connecting");
    const counts = shares(connections, clients.length);
    let global = 0;
    const perProcess = counts.map((count) => Array.from({ length: count }, () => `bench:room-${global++ % rooms}`));
    const opened = await openAll(clients, perProcess, { protocol: variant.protocol, base: server.base, concurrency: 50, timeoutMs: 30_000, ...(variant.clientJwtSecret === undefined ? {} : { jwtSecret: variant.clientJwtSecret }) });
    // The publisher of room r is global connection r; find which process holds it.
    const publishers = clients.map(() => [] as Array<{ room: string; publisher: number }>);
    let offset = 0;
    counts.forEach((count, process) => {
      for (let local = 0; local < count; local++) {
        const index = offset + local;
        if (index < rooms) publishers[process]!.push({ room: `bench:room-${index}`, publisher: opened.firstIndex[process]! + local });
      }
      offset += count;
    });
    await resetAll(clients, true);
    context.progress("publishing at a fixed rate");
    const cpuBefore = await serverCpu(server);
    const results = await Promise.all(
      clients.map((client, process) => {
        const own = publishers[process]!;
        if (own.length === 0) return Promise.resolve({ published: 0 });
        return client.call<{ published: number }>("rate", { rooms: own, perSecond: (perSecond * own.length) / rooms, durationMs }, durationMs + 30_000);
      }),
    );
    const published = results.reduce((sum, result) => sum + result.published, 0);
    const perRoom = connections / rooms;
    const expected = Math.round(published * perRoom);
    const reports = await waitDelivered(clients, expected, 10_000);
    const cpuAfter = await serverCpu(server);
    const samples = reports.flatMap((report) => report.latencies);
    const quantiles = percentiles(samples);
    const delivered = sumDelivered(reports);
    return {
      p50Ms: round(quantiles.p50, 2),
      p90Ms: round(quantiles.p90, 2),
      p99Ms: round(quantiles.p99, 2),
      maxMs: round(quantiles.max, 2),
      published,
      delivered,
      lost: expected - delivered,
      // Steadier than the percentiles on a shared machine: time waiting for a core is not in it.
      serverCpuMicrosPerPublication: round((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / Math.max(1, published), 1),
      // The user-mode part alone: socket writes (kernel time) cost both targets alike and vary most from run to run.
      serverUserCpuMicrosPerPublication: round((cpuAfter.userMicros - cpuBefore.userMicros) / Math.max(1, published), 1),
      // Ten members per room: ten writes per publication at best, whatever the target; more means frames written apart.
      serverWritesPerPublication: round((cpuAfter.writeSyscalls - cpuBefore.writeSyscalls) / Math.max(1, published), 2),
      serverReadsPerPublication: round((cpuAfter.readSyscalls - cpuBefore.readSyscalls) / Math.max(1, published), 2),
      serverGcPerThousandPublications: round(((cpuAfter.gcCount - cpuBefore.gcCount) * 1000) / Math.max(1, published), 2),
      serverGcMs: round(cpuAfter.gcMs - cpuBefore.gcMs, 1),
      serverMajorGcs: cpuAfter.majorGcCount - cpuBefore.majorGcCount,
      serverMajorGcMs: round(cpuAfter.majorGcMs - cpuBefore.majorGcMs, 1),
      ...serverFigures(cpuBefore, cpuAfter),
      ...generatorFigures(reports),
    };
  } finally {
    await stopAll(server, []);
  }
}

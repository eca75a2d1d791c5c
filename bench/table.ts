import type { Figures } from "./scenarios/types.js";

/** Which figures each scenario prints, and whether more is better (for the ratio's reading). */
export const SHOWN: Record<string, Array<{ key: string; label: string }>> = {
  fanout: [
    { key: "deliveredPerSecond", label: "delivered msgs/s" },
    { key: "serverCpuMicrosPerDelivery", label: "server CPU µs/delivery" },
    { key: "serverUserCpuMicrosPerDelivery", label: "server user CPU µs/delivery" },
    { key: "serverDeliveriesPerWrite", label: "deliveries per write syscall" },
    { key: "serverCpuMicrosPerWrite", label: "server CPU µs/write syscall" },
    { key: "serverInvoluntarySwitchesPerThousand", label: "involuntary context switches per 1,000 deliveries" },
    { key: "burstCpuMicrosPerDelivery", label: "in bursts of the window: server CPU µs/delivery" },
    { key: "burstUserCpuMicrosPerDelivery", label: "in bursts of the window: server user CPU µs/delivery" },
    { key: "burstDeliveriesPerWrite", label: "in bursts of the window: deliveries per write syscall" },
    { key: "burstCpuMicrosPerWrite", label: "in bursts of the window: server CPU µs/write syscall" },
  ],
  latency: [
    { key: "p50Ms", label: "p50 ms" },
    { key: "p90Ms", label: "p90 ms" },
    { key: "p99Ms", label: "p99 ms" },
    { key: "maxMs", label: "max ms" },
    { key: "serverCpuMicrosPerPublication", label: "server CPU µs/publication" },
    { key: "serverUserCpuMicrosPerPublication", label: "server user CPU µs/publication" },
    { key: "serverWritesPerPublication", label: "server write syscalls per publication" },
    { key: "serverReadsPerPublication", label: "server read syscalls per publication" },
    { key: "serverGcPerThousandPublications", label: "server GCs per 1,000 publications" },
    { key: "serverGcMs", label: "server GC pause, ms" },
    { key: "serverMajorGcs", label: "of them mark-compact GCs" },
    { key: "serverMajorGcMs", label: "mark-compact GC pause, ms" },
  ],
  idle: [
    { key: "rssBytesPerConnection", label: "RSS bytes/conn" },
    { key: "heapBytesPerConnection", label: "heap bytes/conn" },
  ],
  connect: [{ key: "connectionsPerSecond", label: "connections/s (JWT)" }],
  redis: [{ key: "deliveredPerSecond", label: "delivered msgs/s" }],
  deploy: [
    { key: "published", label: "publications sent" },
    { key: "acknowledged", label: "acknowledged" },
    { key: "lost", label: "acknowledged, lost to a subscriber" },
    { key: "recovered", label: "recovered with since" },
    { key: "duplicated", label: "duplicated" },
    { key: "outOfOrder", label: "out of order" },
    { key: "resets", label: "recoveries reset" },
    { key: "ghosts", label: "presence ghosts" },
    { key: "missing", label: "presence missing" },
    { key: "metaLost", label: "meta not restored" },
    { key: "unannouncedLeaves", label: "leaves not announced" },
    ...[1, 2, 3].flatMap((node) => [
      { key: `drain${node}Ms`, label: `node ${node}: SIGTERM to exit, ms` },
      { key: `restart${node}Ms`, label: `node ${node}: SIGTERM to listening again, ms` },
    ]),
  ],
  "slow-consumers": [
    { key: "p50Ms", label: "readers' p50 ms" },
    { key: "p99Ms", label: "readers' p99 ms" },
    { key: "worstSecondP99Ms", label: "worst second's p99 ms" },
    { key: "stalledDropped", label: "stalled clients dropped" },
    { key: "secondsWithoutDeliveries", label: "seconds with no delivery at all" },
    { key: "readersDropped", label: "readers dropped (must be 0 for the figures to count)" },
    { key: "perSecondP99Ms", label: "p99 ms, second by second" },
  ],
  "join-storm": [
    { key: "joinSeconds", label: "s until the last join reply" },
    { key: "joinsRefused", label: "joins refused" },
    { key: "serverFrames", label: "frames sent by the server" },
    { key: "framesPerMember", label: "frames per member" },
    { key: "serverBytes", label: "bytes sent by the server" },
    { key: "serverBytesPerMember", label: "bytes per member" },
    { key: "serverCpuSeconds", label: "server CPU s" },
    { key: "publishToLastDeliveryMs", label: "publication to last delivery, ms" },
    { key: "publicationCpuMicrosPerDelivery", label: "publication: server CPU µs/delivery" },
    { key: "fanoutPublications", label: "then publications to the room (fan-out)" },
    { key: "fanoutWindow", label: "fan-out: publications in flight (window)" },
    { key: "fanoutDeliveredPerSecond", label: "fan-out: delivered/s" },
    { key: "fanoutCpuMicrosPerDelivery", label: "fan-out: server CPU µs/delivery" },
    { key: "fanoutUserCpuMicrosPerDelivery", label: "fan-out: server user CPU µs/delivery" },
    { key: "fanoutIdleCpuMicrosPerDelivery", label: "fan-out: of which the servers spend idle, µs/delivery" },
    { key: "fanoutIdleCpuShare", label: "servers idle: CPU, cores" },
    { key: "fanoutDeliveriesPerWrite", label: "fan-out: deliveries per write syscall" },
    { key: "fanoutCpuMicrosPerWrite", label: "fan-out: server CPU µs/write syscall" },
    { key: "fanoutReadSyscalls", label: "fan-out: server read syscalls" },
    { key: "fanoutInvoluntarySwitchesPerThousand", label: "fan-out: involuntary context switches per 1,000 deliveries" },
    { key: "fanoutVoluntarySwitchesPerThousand", label: "fan-out: voluntary context switches per 1,000 deliveries" },
  ],
  feed: [
    { key: "p50Ms", label: "commit-to-delivery p50 ms" },
    { key: "p95Ms", label: "commit-to-delivery p95 ms" },
    { key: "p99Ms", label: "commit-to-delivery p99 ms" },
    { key: "committedPerSecond", label: "committed changes/s" },
  ],
};

const BASELINE = "ws";

function format(value: number | boolean | string | undefined): string {
  if (typeof value !== "number") return value === undefined ? "—" : String(value);
  if (!Number.isFinite(value)) return "n/a";
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en-US") : String(value);
}

/**
 * A Markdown table per scenario: one row per figure, one column per target,
 * each cell with its ratio to the hand-tuned ws baseline (for redis: to one node).
 */
export function renderTables(results: Record<string, Record<string, Figures>>): string {
  const out: string[] = [];
  for (const [scenario, byTarget] of Object.entries(results)) {
    const columns = Object.keys(byTarget);
    // Join storms compare columns of different sizes: no single baseline column.
    const base = scenario === "redis" ? byTarget["1 node"] : scenario === "join-storm" || scenario === "slow-consumers" ? undefined : scenario === "feed" ? byTarget.notify : byTarget[BASELINE];
    out.push(`### ${scenario}`, "", `| figure | ${columns.join(" | ")} |`, `|---|${columns.map(() => "---:").join("|")}|`);
    for (const { key, label } of SHOWN[scenario] ?? []) {
      const cells = columns.map((column) => {
        const value = byTarget[column]?.[key];
        const reference = base?.[key];
        const ratio = typeof value === "number" && typeof reference === "number" && reference !== 0 && Number.isFinite(value) ? ` (${(value / reference).toFixed(2)}×)` : "";
        return `${format(value)}${ratio}`;
      });
      out.push(`| ${label} | ${cells.join(" | ")} |`);
    }
    const flags = columns.map((column) => {
      const figures = byTarget[column]!;
      const notes: string[] = [];
      if (typeof figures.lost === "number" && figures.lost !== 0) notes.push(`lost ${figures.lost}`);
      if (typeof figures.fanoutLost === "number" && figures.fanoutLost !== 0) notes.push(`fan-out lost ${figures.fanoutLost}`);
      if (typeof figures.burstLost === "number" && figures.burstLost !== 0) notes.push(`bursts lost ${figures.burstLost}`);
      if (typeof figures.duplicates === "number" && figures.duplicates !== 0) notes.push(`duplicates ${figures.duplicates}`);
      if (figures.generatorSaturated === true) notes.push(`generator saturated (${String(figures.generatorCpu)} cores)`);
      else if (typeof figures.generatorCpu === "number") notes.push(`generator ${figures.generatorCpu} cores`);
      if (typeof figures.serverCpuShare === "number" && Number.isFinite(figures.serverCpuShare)) notes.push(`server ${figures.serverCpuShare} cores, loop delay p99 ${String(figures.serverLoopDelayP99Ms)} ms`);
      if (typeof figures.generatorLoopDelayP99Ms === "number") notes.push(`generator loop delay p99 ${figures.generatorLoopDelayP99Ms} ms`);
      if (typeof figures.error === "string") notes.push(`error: ${figures.error}`);
      return notes.join(", ") || "—";
    });
    out.push(`| run notes | ${flags.join(" | ")} |`, "");
  }
  return out.join("\n");
}

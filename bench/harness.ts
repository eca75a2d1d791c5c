import type { OpenArgs, OpenResult, Report } from "./client-child.js";
import type { ProtocolName } from "./client/protocols.js";
import { pinning, startChild, stopChild } from "./processes.js";
import type { RpcClient } from "./rpc.js";
import type { ServerConfig } from "./targets/target.js";

export const JWT_SECRET = "switchboard-bench-secret-0123456789abcdef";

/** A server under test in its own process. */
export interface ServerUnderTest {
  rpc: RpcClient | undefined;
  base: string;
  /** Kept running for the next scenario with the same server settings (stopped at the end of the run). */
  shared?: boolean;
}

export async function startServer(config: ServerConfig, name: string = config.target): Promise<ServerUnderTest> {
  const rpc = startChild("./server-child.ts", `server ${name}`, pinning.available ? pinning.server : undefined, {}, ["--expose-gc", ...(process.env.SWITCHBOARD_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "")]);
  const { port } = await rpc.call<{ port: number }>("start", config, 30_000);
  return { rpc, base: `ws://127.0.0.1:${port}` };
}

export function startClients(count: number): RpcClient[] {
  return Array.from({ length: count }, (_, index) => startChild("./client-child.ts", `client ${index + 1}`, pinning.available ? pinning.clients : undefined));
}

/** Stops the generator processes and the servers that are not shared. */
export async function stopAll(server: ServerUnderTest | ServerUnderTest[], clients: RpcClient[]): Promise<void> {
  const servers = (Array.isArray(server) ? server : [server]).filter((s) => s.shared !== true);
  await Promise.allSettled([...clients.map(stopChild), ...servers.map((s) => (s.rpc === undefined ? Promise.resolve() : stopChild(s.rpc)))]);
}

export interface ServerCpu {
  cpuMicros: number;
  /** The user-mode part of cpuMicros: the server's own code, without the kernel's socket work. */
  userMicros: number;
  /** Garbage collections so far and their total pause, ms. */
  gcCount: number;
  gcMs: number;
  /** Of them, the mark-compact (major) collections and their pause, ms. */
  majorGcCount: number;
  majorGcMs: number;
  at: number;
  loopDelayP99Ms: number;
  /** Bytes the server process wrote (sockets included); NaN where /proc is not available. */
  bytesWritten: number;
  /** Write and read syscalls of the server process (a writev counts once, however many frames it carries). */
  writeSyscalls: number;
  readSyscalls: number;
  /** Context switches of the server's main thread: it waited (voluntary), or the scheduler preempted it (involuntary). */
  voluntarySwitches: number;
  involuntarySwitches: number;
}

export function serverCpu(server: ServerUnderTest): Promise<ServerCpu> {
  if (server.rpc !== undefined) return server.rpc.call<ServerCpu>("cpu");
  const unknown = Number.NaN;
  return Promise.resolve({ cpuMicros: unknown, userMicros: unknown, gcCount: unknown, gcMs: unknown, majorGcCount: unknown, majorGcMs: unknown, at: performance.now(), loopDelayP99Ms: unknown, bytesWritten: unknown, writeSyscalls: unknown, readSyscalls: unknown, voluntarySwitches: unknown, involuntarySwitches: unknown });
}

/** Summed over servers: a counter's growth from `before` to `after` (same order of servers). */
export function grown(before: ServerCpu[], after: ServerCpu[], pick: (sample: ServerCpu) => number): number {
  return after.reduce((total, sample, index) => total + pick(sample) - pick(before[index]!), 0);
}

/**
 * What a fan-out phase cost the servers, per delivery and per write syscall: frames per write is
 * what corking buys (every frame a socket gets in one turn leaves in one writev), and switches per
 * 1,000 deliveries show processes taking turns on a shared core.
 */
export interface DeliveryCosts {
  cpuMicrosPerDelivery: number;
  userCpuMicrosPerDelivery: number;
  writeSyscalls: number;
  deliveriesPerWrite: number;
  cpuMicrosPerWrite: number;
  readSyscalls: number;
  voluntarySwitchesPerThousand: number;
  involuntarySwitchesPerThousand: number;
}

export function deliveryCosts(before: ServerCpu[], after: ServerCpu[], delivered: number): DeliveryCosts {
  const per = Math.max(1, delivered);
  const writes = grown(before, after, (sample) => sample.writeSyscalls);
  const cpu = grown(before, after, (sample) => sample.cpuMicros);
  return {
    cpuMicrosPerDelivery: round(cpu / per, 2),
    userCpuMicrosPerDelivery: round(grown(before, after, (sample) => sample.userMicros) / per, 2),
    writeSyscalls: writes,
    deliveriesPerWrite: round(delivered / Math.max(1, writes), 2),
    cpuMicrosPerWrite: round(cpu / Math.max(1, writes), 2),
    readSyscalls: grown(before, after, (sample) => sample.readSyscalls),
    voluntarySwitchesPerThousand: round((grown(before, after, (sample) => sample.voluntarySwitches) * 1000) / per, 2),
    involuntarySwitchesPerThousand: round((grown(before, after, (sample) => sample.involuntarySwitches) * 1000) / per, 2),
  };
}

/** Splits `total` into `parts` near-equal shares. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
}

export interface Opened {
  results: OpenResult[];
  /** Index of each process's first connection opened by this call. */
  firstIndex: number[];
}

/** Opens connections in every client process at once; `perProcess[p]` lists the rooms (or undefined entries) of process p's connections. */
export async function openAll(clients: RpcClient[], perProcess: Array<Array<string | undefined>>, common: Omit<OpenArgs, "rooms" | "count" | "userPrefix">): Promise<Opened> {
  const results = await Promise.all(
    clients.map((client, index) => {
      const rooms = perProcess[index] ?? [];
      const args: OpenArgs = { ...common, count: rooms.length, userPrefix: `u${index}`, ...(rooms.some((room) => room !== undefined) ? { rooms: rooms as string[] } : {}) };
      return client.call<OpenResult & { firstIndex: number }>("open", args, common.timeoutMs + 60_000);
    }),
  );
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  if (failed > 0) throw new Error(`${failed} connections failed to open: ${results.find((result) => result.firstError !== undefined)?.firstError}`);
  return { results, firstIndex: results.map((result) => result.firstIndex) };
}

export function resetAll(clients: RpcClient[], record: boolean): Promise<unknown[]> {
  return Promise.all(clients.map((client) => client.call("reset", { record })));
}

export function reportAll(clients: RpcClient[]): Promise<Report[]> {
  return Promise.all(clients.map((client) => client.call<Report>("report")));
}

/** Polls the client processes until `expected` deliveries arrived or `timeoutMs` passed. */
export async function waitDelivered(clients: RpcClient[], expected: number, timeoutMs: number): Promise<Report[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reports = await reportAll(clients);
    const delivered = reports.reduce((sum, report) => sum + report.delivered, 0);
    if (delivered >= expected || performance.now() > deadline) return reports;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The load generator's CPU use: per process and summed (they share one core), as fractions of one core. */
export function generatorLoad(reports: Report[]): { maxProcess: number; total: number; saturated: boolean; loopDelayP99Ms: number } {
  const loads = reports.map((report) => report.cpuMicros / 1000 / Math.max(1, report.wallMs));
  const total = loads.reduce((sum, load) => sum + load, 0);
  const maxProcess = Math.max(...loads);
  const loopDelayP99Ms = round(Math.max(...reports.map((report) => report.loopDelayP99Ms)), 1);
  return { maxProcess: round(maxProcess, 2), total: round(total, 2), saturated: maxProcess > 0.9 || (pinning.available && total > 0.9), loopDelayP99Ms };
}

/** Server CPU use between two samples: share of one core, and the server's event-loop delay p99 over that time. */
export function serverFigures(before: ServerCpu, after: ServerCpu): { serverCpuShare: number; serverLoopDelayP99Ms: number } {
  return { serverCpuShare: round((after.cpuMicros - before.cpuMicros) / 1000 / (after.at - before.at), 2), serverLoopDelayP99Ms: round(after.loopDelayP99Ms, 1) };
}

/** The generator's own figures, attached to every scenario's result. */
export function generatorFigures(reports: Report[]): { generatorCpu: number; generatorSaturated: boolean; generatorLoopDelayP99Ms: number } {
  const load = generatorLoad(reports);
  return { generatorCpu: load.total, generatorSaturated: load.saturated, generatorLoopDelayP99Ms: load.loopDelayP99Ms };
}

export function sumDelivered(reports: Report[]): number {
  return reports.reduce((sum, report) => sum + report.delivered, 0);
}

export function lastDelivery(reports: Report[]): number {
  return Math.max(...reports.map((report) => report.lastAt));
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function protocolOf(variant: string): ProtocolName {
  return variant as ProtocolName;
}

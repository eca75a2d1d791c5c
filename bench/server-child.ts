/**
 * The server under test, in its own process (pinned to its own core by the
 * parent). Answers the parent's requests for its CPU time and memory.
 */
import { readFileSync } from "node:fs";
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { cpuMicros, serveRpc } from "./rpc.js";
import { ServerProfiles } from "./server-profile.js";
import type { RunningTarget, ServerConfig } from "./targets/target.js";

let running: RunningTarget | undefined;
let target = "server";
const profiles = new ServerProfiles(process.env.SWITCHBOARD_BENCH_CPU_PROFILE || undefined);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
/** Garbage collections and their pause time, since the start: what allocation per publication costs. */
const gcTotals = { count: 0, ms: 0, majorCount: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcTotals.count++;
    gcTotals.ms += entry.duration;
    // Mark-compact pauses apart from scavenges: they grow with what the process keeps (history), not with what it allocates.
    if ((entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
      gcTotals.majorCount++;
      gcTotals.majorMs += entry.duration;
    }
  }
}).observe({ entryTypes: ["gc"] });

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

/** One counter of a /proc/self file (`name: value` lines); NaN where /proc is not available. */
function procCounter(file: string, name: string): number {
  try {
    return Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(readFileSync(`/proc/self/${file}`, "utf8"))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * What the kernel counts for this process: bytes passed to write syscalls (`wchar`: every socket
 * write, WebSocket headers included), write and read syscalls (`syscw`, `syscr`: a corked socket's
 * writev counts once however many frames it carries), and context switches (voluntary: the loop
 * waited for I/O; nonvoluntary: the scheduler took the core away, as it does when processes share one).
 */
function kernelCounters(): { bytesWritten: number; writeSyscalls: number; readSyscalls: number; voluntarySwitches: number; involuntarySwitches: number } {
  return {
    bytesWritten: procCounter("io", "wchar"),
    writeSyscalls: procCounter("io", "syscw"),
    readSyscalls: procCounter("io", "syscr"),
    voluntarySwitches: procCounter("status", "voluntary_ctxt_switches"),
    involuntarySwitches: procCounter("status", "nonvoluntary_ctxt_switches"),
  };
}

serveRpc({
  async start(config: ServerConfig) {
    target = config.target;
    // Imported on demand: a process loads only the server it runs (faster start, smaller baseline RSS).
    if (config.target === "switchboard") running = await (await import("./targets/switchboard.js")).startSwitchboard(config);
    else if (config.target === "socketio") running = await (await import("./targets/socketio.js")).startSocketIo(config);
    else running = await (await import("./targets/ws-baseline.js")).startWsBaseline(config);
    return { port: running.port };
  },
  /** CPU time so far, the kernel's I/O and scheduling counters, and the event-loop delay p99 (ms) since the previous call. */
  async cpu() {
    const loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    const figures = { cpuMicros: cpuMicros(), userMicros: process.cpuUsage().user, gcCount: gcTotals.count, gcMs: gcTotals.ms, majorGcCount: gcTotals.majorCount, majorGcMs: gcTotals.majorMs, at: performance.now(), loopDelayP99Ms, ...kernelCounters() };
    // After the figures are read, so writing a profile is not counted in the phase it ends.
    await profiles.mark(target);
    return figures;
  },
  memory() {
    collectGarbage();
    const usage = process.memoryUsage();
    return { rss: usage.rss, heapUsed: usage.heapUsed };
  },
  async stop() {
    await running?.close();
    return {};
  },
});

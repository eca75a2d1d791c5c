/**
 * The server under test, in its own process (pinned to its own core by the
 * parent). Answers the parent's requests for its CPU time and memory.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { cpuMicros, serveRpc } from "./rpc.js";
import { ServerProfiles } from "./server-profile.js";
import type { RunningTarget, ServerConfig } from "./targets/target.js";

let running: RunningTarget | undefined;
let target = "server";
const profiles = new ServerProfiles(process.env.SWITCHBOARD_BENCH_CPU_PROFILE || undefined);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
/** Garbage collections and their pause time, since the start: what allocation per publication costs. */
const gcTotals = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcTotals.count++;
    gcTotals.ms += entry.duration;
  }
}).observe({ entryTypes: ["gc"] });

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

/** Bytes this process passed to write syscalls (`wchar` of /proc/self/io): every socket write, WebSocket headers included. */
function bytesWritten(): number {
  try {
    return Number(/wchar: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
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
  /** CPU time so far, bytes written (sockets included), and the event-loop delay p99 (ms) since the previous call. */
  async cpu() {
    const loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    const figures = { cpuMicros: cpuMicros(), userMicros: process.cpuUsage().user, gcCount: gcTotals.count, gcMs: gcTotals.ms, at: performance.now(), loopDelayP99Ms, bytesWritten: bytesWritten() };
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

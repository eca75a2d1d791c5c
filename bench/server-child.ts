/**
 * The server under test, in its own process (pinned to its own core by the
 * parent). Answers the parent's requests for its CPU time and memory.
 */
import { cpuMicros, serveRpc } from "./rpc.js";
import { startSocketIo } from "./targets/socketio.js";
import { startSwitchboard } from "./targets/switchboard.js";
import type { RunningTarget, ServerConfig } from "./targets/target.js";
import { startWsBaseline } from "./targets/ws-baseline.js";

let running: RunningTarget | undefined;

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
}

serveRpc({
  async start(config: ServerConfig) {
    running = config.target === "switchboard" ? await startSwitchboard(config) : config.target === "socketio" ? await startSocketIo(config) : await startWsBaseline(config);
    return { port: running.port };
  },
  cpu() {
    return { cpuMicros: cpuMicros(), at: performance.now() };
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

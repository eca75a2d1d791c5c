import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { RpcClient } from "./rpc.js";

const HAS_TASKSET = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const CORES = (await import("node:os")).availableParallelism();
const started = new Set<ChildProcess>();

/** Which CPU the servers run on and which the load generator runs on (none when there is one CPU or no taskset). */
export const pinning = { available: HAS_TASKSET && CORES >= 2, server: "0", clients: CORES > 2 ? `1-${CORES - 1}` : "1" };

/**
 * Starts a bench child (a TypeScript entry under bench/) with an IPC channel,
 * pinned to `cpus` with taskset when possible. taskset execs node, so the pid
 * we hold is node's own and killing it by pid ends the child.
 */
export function startChild(entry: string, name: string, cpus: string | undefined, env: Record<string, string> = {}, nodeArgs: string[] = []): RpcClient {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const argv = [...nodeArgs, "--import", "tsx", "--conditions=switchboard-source", file];
  const command = pinning.available && cpus !== undefined ? "taskset" : process.execPath;
  const args = pinning.available && cpus !== undefined ? ["-c", cpus, process.execPath, ...argv] : argv;
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, ...env } });
  started.add(child);
  child.on("exit", () => started.delete(child));
  return new RpcClient(child, name);
}

/** Kills one child by pid and waits for it to exit. */
export async function stopChild(rpc: RpcClient): Promise<void> {
  const child = rpc.child;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGKILL");
  await exited;
}

/** Kills every child this process started that is still running (used on exit and on errors). */
export function killAllStarted(): void {
  for (const child of started) if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

process.once("exit", killAllStarted);

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./process.js";

/**
 * A private redis-server for one test file: never the shared one on 6379, so a
 * test may stop, restart or flush it. Runs without persistence; killed by pid.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  /** The running redis-server's pid (to pause it with SIGSTOP), undefined while stopped. */
  readonly pid: number | undefined;
  /** Stops the server (SIGKILL: a crash, not a clean shutdown) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

export async function startRedisServer(extraArgs: string[] = [], chosenPort?: number): Promise<PrivateRedis> {
  const port = chosenPort ?? (await freePort());
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let output = "";
    started.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitForPort(port, 10_000, () => started.exitCode !== null, () => output);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    process.kill(running.pid!, "SIGKILL");
    await exited;
  };
  await launch();
  const cleanup = (): void => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
  };
  process.once("exit", cleanup);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

async function waitForPort(port: number, timeoutMs: number, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`redis-server exited:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

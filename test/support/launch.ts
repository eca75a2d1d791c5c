import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { descendants, killAll } from "./process-tree.js";

export interface Launched {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** The launched process and everything below it, as seen now. */
  tree(): number[];
  /** SIGKILLs the whole tree: cleanup when a test failed half way. */
  kill(): void;
}

/**
 * The environment without npm's own variables, so a nested npm starts as a user's would,
 * and without NODE_ENV (a Vite build in the test process sets it to production).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("npm_") && key !== "NODE_OPTIONS" && key !== "NODE_ENV") env[key] = value;
  return { ...env, ...extra };
}

/**
 * Starts `command` (e.g. `npm start`, `npx switchboard start`) and resolves once
 * its output matches `ready`; kills the tree and rejects if it does not within `timeoutMs`.
 */
export async function launch(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number }): Promise<Launched> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  let seen: number[] = [];
  const tree = (): number[] => {
    if (child.pid === undefined) return [];
    const now = [child.pid, ...descendants(child.pid)];
    seen = [...new Set([...seen, ...now])];
    return now;
  };
  const kill = (): void => killAll([...seen, ...tree()]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${command} ${args.join(" ")} did not become ready:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const check = (): void => {
      if (!options.ready.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited before it was ready:\n${output}`));
    });
  });
  return { child, output: () => output, exited, tree, kill };
}

/**
 * `switchboard bench --url ws://host:port/ws`: the bench's load generator
 * against a server that is already running (fan-out and latency scenarios,
 * JSON and MessagePack). The generator lives in bench/ and runs from a source
 * checkout; see docs/performance.md.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BENCH_USAGE = `Usage: switchboard bench --url ws://127.0.0.1:8080/ws [--quick] [--scenario fanout|latency] [--json file] [--clients N]

Loads a running Switchboard from this machine: one room fan-out and many-room
latency, in separate load-generator processes. The server's protection limits
must let the generator in (SWITCHBOARD_IP_CONNECTIONS_PER_SECOND=0,
SWITCHBOARD_RATE_LIMIT_PER_SECOND=0, SWITCHBOARD_JOINS_PER_MINUTE=0); when the
server requires JWTs, set SWITCHBOARD_JWT_SECRET here too so the generator can
mint tokens. Loopback or your own servers only.`;

export async function bench(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(BENCH_USAGE);
    return;
  }
  const urlIndex = args.indexOf("--url");
  const url = urlIndex === -1 ? undefined : args[urlIndex + 1];
  if (url === undefined || !/^wss?:\/\//.test(url)) {
    console.error(`switchboard bench needs --url ws://host:port/ws\n\n${BENCH_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const scenarios = args.filter((_, index) => args[index - 1] === "--scenario");
  for (const scenario of scenarios.flatMap((value) => value.split(","))) {
    if (scenario !== "fanout" && scenario !== "latency") {
      console.error(`switchboard bench runs the fanout and latency scenarios against a running server, not "${scenario}".`);
      process.exitCode = 2;
      return;
    }
  }
  const forwarded = scenarios.length === 0 ? [...args, "--scenario", "fanout,latency"] : args;
  // bench/ is TypeScript that ships only with a source checkout; the compiled CLI runs it in a
  // child process with the checkout's TypeScript loader rather than importing it here.
  const entry = fileURLToPath(new URL("../../bench/main.ts", import.meta.url));
  if (!existsSync(entry)) {
    console.error("switchboard bench runs from a source checkout of Switchboard (bench/ is not part of the package); see docs/performance.md.");
    process.exitCode = 2;
    return;
  }
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...forwarded], {
    stdio: "inherit",
    env: { ...process.env, SWITCHBOARD_BENCH_COMMAND: `switchboard bench ${args.join(" ")}` },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => child.kill(signal));
  process.exitCode = await new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 0 : 1))));
}

/**
 * `npm run bench`: Switchboard, Socket.IO 4 and a hand-tuned ws broadcast under
 * the same load, side by side. See docs/performance.md.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { USAGE, parseBenchArgs } from "./options.js";
import { killAllStarted } from "./processes.js";
import { runBench } from "./run.js";
import { medianFigures, perRunValues } from "./repeated-runs.js";
import type { BenchResult } from "./run.js";
import { SHOWN, renderTables } from "./table.js";

export async function benchMain(argv: string[], command: string): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  warnAboutFileLimit(options.sizes.idle.connections);
  if (options.dist) {
    // Through tsx every module is esbuild's output with keepNames (a `__name` call per named
    // function or class it defines); users run tsc's dist/, so that is what an honest comparison loads.
    const built = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: new URL("..", import.meta.url), stdio: "inherit" });
    if (built.status !== 0) return 1;
    process.env.SWITCHBOARD_BENCH_DIST = "1";
  }
  const runs: BenchResult[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const result = await runBench(options, command);
    runs.push(result);
    console.log(`${result.command}${options.runs > 1 ? ` · run ${run} of ${options.runs}` : ""}\n${result.date} · ${result.machine.cpu} · ${result.machine.nproc} CPUs · node ${result.machine.node} · load average ${result.machine.loadAverageAtStart.join(" ")} · ${options.url !== undefined ? `server at ${options.url}` : result.machine.pinned ? "server on CPU 0, load generator on the others" : "not pinned (no taskset or one CPU)"}\n`);
    console.log(renderTables(result.results));
  }
  const results = options.runs === 1 ? runs[0]!.results : medianFigures(runs);
  if (options.runs > 1) {
    console.log(perRunValues(runs, SHOWN));
    console.log(`## Medians of ${options.runs} runs\n`);
    console.log(renderTables(results));
  }
  if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(options.runs === 1 ? runs[0] : { command, runs, medians: results }, null, 2)}\n`);
  const failed = Object.values(results).some((byTarget) => Object.values(byTarget).some((figures) => typeof figures.error === "string"));
  return failed ? 1 : 0;
}

/** The idle scenario holds one descriptor per connection in the server: say so up front when the limit is too low. */
function warnAboutFileLimit(connections: number): void {
  const limit = Number(spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim());
  if (Number.isFinite(limit) && limit < connections + 1_000) {
    console.error(`warning: ulimit -n is ${limit}; the idle scenario opens ${connections} connections. Raise it (ulimit -n ${connections + 5_000}) before running.`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals)
    process.once(signal, () => {
      killAllStarted();
      process.exit(130);
    });
  benchMain(process.argv.slice(2), process.env.SWITCHBOARD_BENCH_COMMAND ?? `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      killAllStarted();
      process.exit(1);
    },
  );
}

// Instructions per publication, counted by callgrind rather than timed: the one measure of the
// publish path that does not move with the machine's speed (a shared 2-core machine's timings
// move 30% within an hour). Each target's server runs under
// `valgrind --tool=callgrind --separate-threads=yes` twice, for a short and a long run of
// publications to one room of 10 (client.ts), and the difference of the main thread's counts
// divided by the difference of publications is what one publication costs in steady state, start
// and warm-up cancelled out. Opt in with `npm run bench:instructions` (valgrind must be installed).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const short = Number(process.env.SWITCHBOARD_INSTRUCTIONS_SHORT ?? 5_000);
const long = Number(process.env.SWITCHBOARD_INSTRUCTIONS_LONG ?? 15_000);

if (spawnSync("valgrind", ["--version"]).status !== 0) throw new Error("bench:instructions needs valgrind (apt-get install -y valgrind)");
// The compiled package, as users run it.
if (spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "inherit", timeout: 180_000 }).status !== 0) throw new Error("the build failed");

/** The main thread's instruction count for one server run of `publications`. */
async function count(target: string, publications: number): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), "switchboard-instructions-"));
  try {
    const server = spawn(
      "valgrind",
      ["--tool=callgrind", "--separate-threads=yes", "--smc-check=all-non-file", `--callgrind-out-file=${join(folder, "out")}`, process.execPath, "--import", "tsx", join(here, "server.ts"), target],
      { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, SWITCHBOARD_BENCH_DIST: "1" } },
    );
    const [portLine] = (await once(server.stdout, "data")) as [Buffer];
    const client = spawn(process.execPath, ["--import", "tsx", join(here, "client.ts"), target, portLine.toString().trim(), String(publications)], { stdio: "inherit" });
    const [code] = (await once(client, "exit")) as [number | null];
    if (code !== 0) throw new Error(`the ${target} client exited with ${String(code)}`);
    server.kill("SIGINT");
    await once(server, "exit");
    // Thread 1 is the event loop; the others are V8's compiler and collector helpers and libuv's pool.
    const main = readdirSync(folder).find((name) => name.endsWith("-01"));
    if (main === undefined) throw new Error("callgrind wrote no file for the main thread");
    const summary = /^summary: (\d+)$/m.exec(readFileSync(join(folder, main), "utf8"));
    if (summary === null) throw new Error("no summary line in the callgrind output");
    return Number(summary[1]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const rows: Array<[string, number]> = [];
for (const target of ["ws", "switchboard"]) {
  const perPublication = ((await count(target, long)) - (await count(target, short))) / (long - short);
  rows.push([target, perPublication]);
}
const baseline = rows[0]![1];
console.log(`\nmain-thread instructions per publication to a room of 10 (${long.toLocaleString("en-US")} minus ${short.toLocaleString("en-US")} publications)\n`);
console.log("| target | instructions | ratio |\n|---|---:|---:|");
for (const [target, perPublication] of rows) console.log(`| ${target} | ${Math.round(perPublication).toLocaleString("en-US")} | ${(perPublication / baseline).toFixed(2)}× |`);

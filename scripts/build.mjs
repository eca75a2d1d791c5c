#!/usr/bin/env node
// Builds everything the package ships, from a checkout:
//   dist/                       src compiled by tsc (ESM, .d.ts, source maps)
//   dist/client/switchboard.js  the browser client bundle served at /switchboard.js
//   web/dist/                   the demo app and the dashboard, built by Vite
// `npm run build` and `npm pack` (prepack) run all of it; bin/switchboard.js calls
// buildIfStale() so `npm start` on a fresh clone or after an edit runs current code.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
/** Written last, so a build that stopped half way counts as missing. */
const STAMP = join(DIST, ".build-stamp");
const LOCK = join(ROOT, ".build-lock");
const LOCK_WAIT_MS = 180_000;
/** What the outputs are made from: when any is newer than the stamp, the build is stale. */
const INPUTS = ["src", "web/src", "web/index.html", "web/dashboard", "web/vite.config.ts", "tsconfig.json", "tsconfig.build.json", "package.json", "scripts/build.mjs"].map((path) => join(ROOT, path));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stat.mtimeMs);
}

export function isBuildCurrent() {
  if (!existsSync(STAMP) || !existsSync(join(ROOT, "web/dist/index.html"))) return false;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.every((input) => newestMtime(input) <= built);
}

function run(label, args) {
  // Build output goes to stderr: a server built on start keeps stdout for its log lines.
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", 2, 2], timeout: 180_000 });
  if (result.status !== 0) throw new Error(`${label} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
}

/** Puts a finished build in place: processes running from the old one keep what they loaded. */
function swap(staging, target) {
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
}

/**
 * The whole build, into fresh staging folders (so files of deleted sources never ship)
 * that replace dist/ and web/dist only once complete.
 */
export async function build() {
  const dist = `${DIST}.build-${process.pid}`;
  const web = join(ROOT, `web/.dist-build-${process.pid}`);
  try {
    rmSync(dist, { recursive: true, force: true });
    run("tsc", [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--outDir", dist]);
    // The compiled bundler entry, so this script needs no TypeScript loader.
    const { buildClientBundle } = await import(pathToFileURL(join(dist, "server/client-bundle.js")).href);
    mkdirSync(join(dist, "client"), { recursive: true });
    writeFileSync(join(dist, "client/switchboard.js"), await buildClientBundle());
    const { build: vite } = await import("vite");
    await vite({ configFile: join(ROOT, "web/vite.config.ts"), logLevel: "warn", build: { outDir: web, emptyOutDir: true } });
    writeFileSync(join(dist, ".build-stamp"), `${new Date().toISOString()}\n`);
    swap(web, join(ROOT, "web/dist"));
    swap(dist, DIST);
  } finally {
    rmSync(dist, { recursive: true, force: true });
    rmSync(web, { recursive: true, force: true });
  }
}

/**
 * Builds when the outputs are missing or older than their inputs. Processes
 * starting at once (tests, `--workers`) take turns through a lock folder, and
 * the one that waited finds the build current.
 */
export async function buildIfStale(log = console.error) {
  if (isBuildCurrent()) return;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      // A lock older than the wait is left by a build that was killed.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs > LOCK_WAIT_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held by another build for too long; remove it if no build is running`);
      await sleep(200);
    }
  }
  try {
    if (isBuildCurrent()) return;
    log("building dist/ and web/dist (missing or older than the sources; `npm run build` does this ahead of time)");
    // In a child process: Vite sets NODE_ENV=production in the process that builds, and the
    // server starting next must see the environment it was given (and not carry Vite in memory).
    run("the build", [fileURLToPath(import.meta.url)]);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const onlyIfStale = process.argv.includes("--if-stale");
  await (onlyIfStale ? buildIfStale() : build());
}

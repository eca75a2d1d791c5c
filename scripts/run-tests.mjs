#!/usr/bin/env node
// Runs every test file under test/ with node's test runner and the TypeScript loader.
// Node 20's runner does not glob .ts files itself, so the list is built here.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir) {
  const files = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (entry.endsWith(".test.ts")) files.push(path);
  }
  return files;
}

// Tests run src through tsx, but `switchboard start` in a child process runs dist/ and every
// server serves web/dist: build both once here when missing or stale, bounded in time.
const built = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "inherit", timeout: 180_000 });
if (built.status !== 0) console.error("the build failed; tests that start `switchboard start` will try again and report why");

const filter = process.argv.slice(2);
const files = collect("test").filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)));
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--conditions=switchboard-source", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { stdio: "inherit" },
);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

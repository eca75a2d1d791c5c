// Guards the folder layering of src/: imports go down the declared order and no two
// folders depend on each other. Read every relative import (static, re-export and
// dynamic) so a new upward edge fails here rather than in review.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

// Bottom to top. A folder may import any folder on a lower line; folders on one line share a
// level and may not import each other.
const LAYERS: readonly (readonly string[])[] = [
  ["protocol"],
  ["log"],
  ["broker"],
  ["history", "presence"],
  ["redis"],
  ["auth"],
  ["protection"],
  ["delivery"],
  ["rooms"],
  ["wire"],
  ["cluster"],
  ["server"],
  ["pusher"],
  ["observability"],
  ["http"],
  ["integrations"],
  ["config"],
  ["web-app-server"],
  ["cli"],
  ["index"],
];

// The browser SDK and the React bindings ship to browsers: they see the wire protocol
// and the client only, never the server side.
const CLIENT_SIDE: ReadonlyMap<string, readonly string[]> = new Map([
  ["client", ["protocol", "client"]],
  ["react", ["protocol", "client", "react"]],
]);

// Upward edges that remain and are known; each one is a debt, not a permission. Keep
// this list shrinking: an edge not listed here fails the test.
const ALLOWED_UPWARD: ReadonlySet<string> = new Set<string>([]);

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

function folderOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  return rel.length === 1 ? "index" : rel[0]!;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of listFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1]!;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC)) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to) continue;
      out.push({ from, to, file: posix.normalize(relative(SRC, file)), spec });
    }
  }
  return out;
}

function levelOf(folder: string): number {
  return LAYERS.findIndex((level) => level.includes(folder));
}

test("every folder of src/ is placed in the layer order", () => {
  const folders = new Set(listFiles(SRC).map(folderOf));
  const unplaced = [...folders].filter((f) => levelOf(f) < 0 && !CLIENT_SIDE.has(f));
  assert.deepEqual(unplaced, [], "add new folders to LAYERS or CLIENT_SIDE");
});

test("the import scan sees the code base", () => {
  // A broken pattern would find nothing and pass every rule below; src/ has hundreds of cross-folder imports.
  const found = edges();
  assert.ok(found.length > 100, `only ${found.length} cross-folder imports found`);
  assert.ok(found.some((e) => e.from === "rooms" && e.to === "delivery"));
});

test("imports go down the layer order", () => {
  const bad: string[] = [];
  for (const e of edges()) {
    const key = `${e.from} -> ${e.to}`;
    const clientAllowed = CLIENT_SIDE.get(e.from);
    let ok: boolean;
    if (clientAllowed) ok = clientAllowed.includes(e.to);
    // The SDK ships through its own package entry points; server code never reaches into it.
    else if (CLIENT_SIDE.has(e.to)) ok = false;
    else ok = levelOf(e.to) < levelOf(e.from);
    if (!ok && !ALLOWED_UPWARD.has(key)) bad.push(`${key}  (${e.file} imports ${e.spec})`);
  }
  assert.deepEqual(bad, []);
});

test("no cycle between folders", () => {
  const graph = new Map<string, Set<string>>();
  for (const e of edges()) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  assert.deepEqual(cycles, []);
});

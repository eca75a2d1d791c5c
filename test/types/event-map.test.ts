// The typed event map end to end: tsc (the project's own) over snippet files that use one
// EventMap on the server and in the client. must-compile.ts must type-check (its
// `@ts-expect-error` lines must each be an error); the files in must-fail/ must report exactly
// the errors their `// error TSnnnn: text` comments name, on the line below each comment.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const ROOT = resolve(".");
const SNIPPETS = join(ROOT, "test/types/snippets");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const MUST_FAIL = ["server.ts", "client.ts"];

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  message: string;
}

/** Runs tsc on a project, bounded in time; resolves with its exit code and diagnostics. */
function tsc(project: string): Promise<{ code: number | null; output: string; diagnostics: Diagnostic[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSC, "-p", project, "--pretty", "false"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tsc -p ${project} did not finish in 120 s:\n${output}`));
    }, 120_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const diagnostics: Diagnostic[] = [];
      // One diagnostic per line that starts at column 0; its elaboration lines are indented.
      for (const match of output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)) {
        diagnostics.push({ file: resolve(ROOT, match[1]!), line: Number(match[2]), code: match[3]!, message: match[4]! });
      }
      resolvePromise({ code, output, diagnostics });
    });
  });
}

interface Expectation {
  file: string;
  /** The line the error must be on (1-based): the first line below the comment that is not one. */
  line: number;
  code: string;
  text: string;
}

function expectationsOf(file: string): Expectation[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const expectations: Expectation[] = [];
  lines.forEach((text, index) => {
    const match = /^\s*\/\/ error (TS\d+): (.+)$/.exec(text);
    if (match === null) return;
    let target = index + 1;
    while (target < lines.length && /^\s*\/\/ error TS\d+:/.test(lines[target]!)) target++;
    expectations.push({ file, line: target + 1, code: match[1]!, text: match[2]! });
  });
  return expectations;
}

describe("the typed event map, checked by tsc", { timeout: 300_000 }, () => {
  it("compiles a server and a client sharing one map, and flags each misuse marked @ts-expect-error", async () => {
    const result = await tsc(join(SNIPPETS, "tsconfig.json"));
    assert.equal(result.code, 0, `must-compile.ts has type errors:\n${result.output}`);
  });

  it("reports a wrong payload, reply, event or type on both sides as the errors the must-fail snippets name", async () => {
    const files = MUST_FAIL.map((name) => join(SNIPPETS, "must-fail", name));
    const expected = files.flatMap(expectationsOf);
    assert.ok(expected.length >= 10, `expected the must-fail snippets to name their errors, found ${expected.length}`);
    const result = await tsc(join(SNIPPETS, "must-fail/tsconfig.json"));
    assert.notEqual(result.code, 0, "the must-fail snippets compiled");
    for (const expectation of expected) {
      const found = result.diagnostics.find((d) => d.file === expectation.file && d.line === expectation.line && d.code === expectation.code && d.message.includes(expectation.text));
      assert.ok(found !== undefined, `no ${expectation.code} "${expectation.text}" at ${expectation.file}:${expectation.line}; tsc said:\n${result.output}`);
    }
    // Nothing else fails: an error elsewhere would mean a snippet is wrong, not the types.
    const stray = result.diagnostics.filter((d) => !expected.some((e) => e.file === d.file && e.line === d.line && e.code === d.code));
    assert.deepEqual(stray, [], "errors on lines no comment names");
    for (const file of files) assert.ok(result.diagnostics.some((d) => d.file === file), `${file} reported no error`);
  });
});

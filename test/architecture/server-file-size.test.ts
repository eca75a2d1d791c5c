// Keeps the server folder a composition of small collaborators: the Switchboard facade and
// each file beside it (upgrade, dispatch, heartbeat, lifecycle, shutdown…) stays under the
// size at which one file starts doing several jobs again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SERVER = resolve(dirname(fileURLToPath(import.meta.url)), "../../src/server");
const MAX_LINES = 300;

function lineCount(file: string): number {
  const text = readFileSync(file, "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

test("src/server/ sees the facade and its collaborators", () => {
  const files = readdirSync(SERVER);
  for (const expected of ["switchboard.ts", "upgrade.ts", "dispatch.ts", "heartbeat.ts", "lifecycle-events.ts", "shutdown.ts"]) {
    assert.ok(files.includes(expected), `src/server/${expected} is missing`);
  }
});

test(`every file of src/server/ has at most ${MAX_LINES} lines`, () => {
  const tooLong = readdirSync(SERVER)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => ({ name, lines: lineCount(join(SERVER, name)) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ name, lines }) => `src/server/${name}: ${lines} lines`);
  assert.deepEqual(tooLong, [], "split the file: a collaborator of its own, handed its dependencies");
});

test("no server collaborator is handed the Switchboard itself", () => {
  // The facade composes; a collaborator that gets `this` can call back up into it.
  const text = readFileSync(join(SERVER, "switchboard.ts"), "utf8");
  const handedThis = text.split("\n").filter((line) => /\(\s*this\s*[,)]|[{,]\s*this\s*[,}]|:\s*this\s*[,}]/.test(line));
  assert.deepEqual(handedThis, []);
});

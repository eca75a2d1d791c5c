import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";

/**
 * A connection's hidden class must not change while it lives: every delivery loop is optimized for
 * the one class of Connection, and a field that changes representation (a timestamp stored where
 * a small integer was) deprecates the class, so that every optimized loop over members is thrown
 * away and every connection is migrated one by one, all in the middle of serving traffic.
 */
test("a connection and its protection state keep their hidden classes through joins, publications, heartbeat pings and pongs, and refused frames", async () => {
  const child = spawn(process.execPath, ["--allow-natives-syntax", "--import", "tsx", "--conditions=switchboard-source", "test/fixtures/shape/connection-shape.ts"], {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { connections: number; sameShape: boolean; sameGuardShape: boolean };
  assert.equal(result.connections, 3);
  assert.equal(result.sameShape, true, "a connection changed its hidden class while it lived");
  assert.equal(result.sameGuardShape, true, "a connection's protection state changed its hidden class");
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";

const BUDGET = 16 * 1_048_576;
/** Heap that is not history: ws and socket buffers of the flood, JIT code, V8's own slack after a GC. */
const SLACK = 12 * 1_048_576;

/**
 * Issue 16, finding 4: one connection flooding 60 KB messages into 30 rooms once left 72-81 MB
 * of heap behind. The server runs in a child process with --expose-gc, so its heap is measured
 * after full collections, alone.
 */
describe("the memory budget against one connection's flood", () => {
  let child: ChildProcess;
  let port: number;
  const lines: Array<(line: string) => void> = [];

  function nextLine(): Promise<Record<string, number>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the server process did not answer")), 20_000);
      lines.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, number>);
      });
    });
  }

  async function heap(): Promise<Record<string, number>> {
    const answer = nextLine();
    child.stdin!.write("heap\n");
    return answer;
  }

  before(async () => {
    child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "--conditions=switchboard-source", "test/hostile/memory-server-child.ts"], {
      env: { ...process.env, HISTORY_BYTES: String(BUDGET) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    createInterface({ input: child.stdout! }).on("line", (line) => lines.shift()?.(line));
    port = (await nextLine()).port!;
  });
  after(() => {
    child.kill("SIGKILL");
  });

  it(`holds no more than the configured ${BUDGET / 1_048_576} MiB of history after 30 rooms × 60 KB messages`, async () => {
    const rooms = Array.from({ length: 30 }, (_, index) => `flood:${index}`);
    // Warm the paths once (JIT, buffers) so the baseline is not an empty server's.
    const warm = await connect(`ws://127.0.0.1:${port}/ws`);
    await warm.ok({ type: "join", room: "warm:up" });
    await warm.ok({ type: "publish", room: "warm:up", data: "x".repeat(60_000) });
    await warm.close();
    const baseline = await heap();

    const flooder = await connect(`ws://127.0.0.1:${port}/ws`);
    for (const room of rooms) await flooder.ok({ type: "join", room });
    const payload = "f".repeat(60_000);
    // 30 rooms × 60 messages × 60 KB ≈ 108 MB published, each acknowledged (bounded in count, paced by the replies).
    for (let round = 0; round < 60; round++) {
      await Promise.all(rooms.map((room) => flooder.request({ type: "publish", room, data: { round, payload } }, 20_000)));
      flooder.frames.length = 0;
    }
    const during = await heap();
    assert.ok(during.historyBytes! <= BUDGET, `history within budget while connected: ${during.historyBytes}`);
    await flooder.close();
    const afterwards = await heap();
    const growth = afterwards.heapUsed! - baseline.heapUsed!;
    assert.ok(afterwards.historyBytes! <= BUDGET, `history within budget: ${afterwards.historyBytes}`);
    assert.ok(growth <= BUDGET + SLACK, `heap grew ${(growth / 1_048_576).toFixed(1)} MiB for a ${BUDGET / 1_048_576} MiB budget`);
  });
});

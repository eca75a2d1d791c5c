// A Switchboard in its own process with --expose-gc, so the flood test measures this server's heap alone.
// Prints {"port"} once listening; answers "heap" on stdin with {"heapUsed","historyBytes"} after a full GC.
import { createInterface } from "node:readline";
import { pino } from "pino";
import { createSwitchboard } from "switchboard";

const budget = Number(process.env.HISTORY_BYTES);
const sb = createSwitchboard({
  auth: { anonymous: true },
  logger: pino({ level: "silent" }),
  historyLimits: { maxBytes: budget },
  // The frame rate is not under test here: the flood should reach the history store at full speed.
  protection: { frameRate: { perSecond: 100_000, burst: 100_000 } },
});
const address = await sb.listen(0, "127.0.0.1");
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "heap") continue;
  // Several passes: weak references and finalizers free more on the second.
  for (let pass = 0; pass < 4; pass++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.stdout.write(`${JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, historyBytes: sb.historyStore.heldBytes ?? 0 })}\n`);
}
await sb.close();

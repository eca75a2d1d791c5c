// The server under callgrind (see run.ts): one bench target, stopped with SIGINT so that
// callgrind writes its counts.
import { startSwitchboard } from "../targets/switchboard.js";
import { startWsBaseline } from "../targets/ws-baseline.js";
import type { TargetName } from "../targets/target.js";

const target = process.argv[2] as TargetName;
if (target !== "switchboard" && target !== "ws") throw new Error(`instructions: target must be switchboard or ws, got ${String(target)}`);
const running = await (target === "switchboard" ? startSwitchboard({ target }) : startWsBaseline({ target }));
console.log(running.port);
process.on("SIGINT", () => {
  void running.close().then(() => process.exit(0));
});

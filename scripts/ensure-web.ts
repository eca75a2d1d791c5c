// Builds web/dist when it is missing or older than its sources (see src/web-face/ensure-built.ts).
import { ensureWebBuilt } from "../src/web-face/ensure-built.js";

const dist = await ensureWebBuilt(console);
process.exitCode = dist === undefined ? 1 : 0;

// Writes the browser client bundle (served at /switchboard.js) to dist/client/switchboard.js,
// or to the path given as the first argument.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { buildClientBundle } from "../src/server/client-bundle.js";

const outfile = resolve(process.argv[2] ?? "dist/client/switchboard.js");
const code = await buildClientBundle();
await mkdir(dirname(outfile), { recursive: true });
await writeFile(outfile, code);
console.log(`wrote ${outfile} (${Buffer.byteLength(code)} bytes)`);

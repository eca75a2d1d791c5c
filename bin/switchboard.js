#!/usr/bin/env node
// Runs the compiled server (dist/). In a checkout (scripts/build.mjs is there; the package
// does not ship it) dist/ is built first when it is missing or older than src/.
import { existsSync } from "node:fs";

const builder = new URL("../scripts/build.mjs", import.meta.url);
if (existsSync(builder)) await (await import(builder.href)).buildIfStale();
await import("../dist/cli/main.js");

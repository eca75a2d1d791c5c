// Packs the project, installs the tarball into an empty project and uses it the way a user
// would: plain Node imports, tsc with skipLibCheck off, browser bundlers, `npx switchboard start`.
// Everything comes from the local npm cache (npm ci filled it); nothing else of the checkout is used
// except the tools (tsc, esbuild, vite) that a user would have as their own dev dependencies.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";
import { launch, userEnv } from "../support/launch.js";
import type { Launched } from "../support/launch.js";
import { freePort } from "../support/process.js";
import { waitGone } from "../support/process-tree.js";

const ROOT = resolve(".");
const FIXTURES = join(ROOT, "test/package/fixtures");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

/** The version this checkout has installed, so the temporary project installs it from the cache. */
const installed = (name: string): string => `${name}@${(JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, bounded in time. */
function run(command: string, args: string[], cwd: string, timeoutMs = 120_000, env: NodeJS.ProcessEnv = userEnv()): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function ok(result: Result, what: string): Result {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

describe("the packed package, installed into an empty project", { timeout: 420_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "switchboard-package-"));
  const project = join(work, "app");
  let tarball: string;
  let packed: string[];
  let installLog: string;

  before(async () => {
    // What prepack does (npm run build), but only when stale: other test files run servers from
    // this checkout's dist/ meanwhile, and a needless rebuild would swap it under them.
    ok(await run(process.execPath, ["scripts/build.mjs", "--if-stale"], ROOT, 240_000), "the build");
    const pack = ok(await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], ROOT, 120_000), "npm pack");
    const report = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(work, report[0]!.filename);
    packed = report[0]!.files.map((file) => file.path);

    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(project, file));
    // What a user adds next to it: react for switchboard/react, @types/node for tsc.
    const install = ok(
      await run(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, installed("react"), installed("@types/react"), installed("@types/node")], project, 240_000),
      "npm install of the tarball",
    );
    installLog = install.stdout + install.stderr;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("builds on npm pack (prepack) and runs the compiled bin", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string> };
    assert.equal(manifest.scripts.prepack, "npm run build");
    assert.equal(manifest.bin.switchboard, "./bin/switchboard.js");
  });

  it("points every export condition a consumer may resolve at a packed file", () => {
    type Target = string | { [condition: string]: Target };
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, Target> };
    const targets: string[] = [];
    const walk = (target: Target, condition: string): void => {
      // The checkout's own condition (tests and the bench run src/ through tsx); a name no consumer sets.
      if (condition === "switchboard-source") return;
      if (typeof target === "string") targets.push(target.replace(/^\.\//, ""));
      else for (const [name, inner] of Object.entries(target)) walk(inner, name);
    };
    for (const [entry, target] of Object.entries(manifest.exports)) walk(target, entry);
    assert.ok(targets.length > 0);
    for (const target of targets) assert.ok(packed.includes(target), `${target} (named in exports) is packed`);
  });

  it("holds the compiled entries, their types and maps, the web face and the browser bundle, and nothing else", () => {
    for (const file of ["package.json", "LICENSE", "README.md", "CHANGELOG.md", "bin/switchboard.js", "web/dist/index.html", "web/dist/dashboard/index.html", "dist/client/switchboard.js"]) assert.ok(packed.includes(file), `${file} is packed`);
    for (const entry of ["dist/index", "dist/client/index", "dist/client/browser", "dist/react/index", "dist/cli/main"]) {
      for (const suffix of [".js", ".js.map", ".d.ts"]) if (!(entry === "dist/cli/main" && suffix === ".d.ts")) assert.ok(packed.includes(entry + suffix), `${entry}${suffix} is packed`);
    }
    // The change feed's migrations ship as SQL for psql or a migration tool (docs/integrations.md).
    for (const file of ["src/integrations/sql/switchboard-outbox.sql", "src/integrations/sql/switchboard-notify.sql"]) assert.ok(packed.includes(file), `${file} is packed`);
    // The config file's JSON Schema, for editors (docs/config-file.md).
    assert.ok(packed.includes("schema/config.schema.json"), "schema/config.schema.json is packed");
    const stray = packed.filter((file) => !/^(dist\/|web\/dist\/|bin\/switchboard\.js$|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$|schema\/config\.schema\.json$|src\/integrations\/sql\/[^/]+\.sql$)/.test(file) || file.endsWith(".test.js"));
    assert.deepEqual(stray, []);
    const map = JSON.parse(readFileSync(join(project, "node_modules/switchboard/dist/index.js.map"), "utf8")) as { sourcesContent?: string[] };
    assert.ok(map.sourcesContent?.[0]?.includes("export"), "source maps carry their sources (src/ is not shipped)");
  });

  it("installs with no engine warning and no TypeScript tooling, bundler or loader at run time", () => {
    assert.doesNotMatch(installLog, /EBADENGINE/);
    for (const tool of ["typescript", "tsx", "esbuild", "vite", "@types/pg"]) assert.ok(!existsSync(join(project, "node_modules", tool)), `${tool} is not installed`);
    const bin = readFileSync(join(project, "node_modules/switchboard/bin/switchboard.js"), "utf8");
    assert.match(bin, /dist\/cli\/main\.js/);
  });

  it("declares as dependencies exactly what the compiled code and its public types import", () => {
    const installedPackage = join(project, "node_modules/switchboard");
    const manifest = JSON.parse(readFileSync(join(installedPackage, "package.json"), "utf8")) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const imports = { js: new Set<string>(), lazy: new Set<string>(), types: new Set<string>() };
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".js") || entry.name.endsWith(".d.ts")) {
          const code = readFileSync(path, "utf8");
          // Import and export statements (one per line start in tsc output), bare `import "x"`, and `import("x")`.
          for (const match of code.matchAll(/^(?:import|export)\s[^;"]*?from\s*"([^"]+)"|^import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)) {
            const specifier = match[1] ?? match[2] ?? match[3]!;
            if (specifier.startsWith("node:") || specifier.startsWith(".")) continue;
            const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
            if (entry.name.endsWith(".d.ts")) imports.types.add(name);
            else if (match[3] !== undefined) imports.lazy.add(name);
            else imports.js.add(name);
          }
        }
      }
    };
    walk(join(installedPackage, "dist"));
    // Loaded only in a checkout (building the web face or the client bundle from sources).
    const checkoutOnly = new Set(["esbuild", "vite"]);
    for (const name of imports.lazy) if (!checkoutOnly.has(name)) imports.js.add(name);
    const peers = new Set(Object.keys(manifest.peerDependencies));
    const needed = new Set([...imports.js, ...imports.types].filter((name) => !peers.has(name)));
    // @types/ws: the public types import ws. light-my-request: Fastify's, pinned to a release whose cookie supports Node 20.
    const declared = new Set(Object.keys(manifest.dependencies).filter((name) => name !== "@types/ws" && name !== "light-my-request"));
    assert.deepEqual([...declared].filter((name) => !needed.has(name) && !needed.has(name.replace(/^@types\//, ""))).sort(), [], "dependencies nothing imports");
    assert.deepEqual([...needed].filter((name) => !declared.has(name) && !(name === "ws" && declared.has("ws"))).sort(), [], "imports that are not dependencies");
    assert.ok(imports.types.has("ws") && Object.hasOwn(manifest.dependencies, "@types/ws"), "the types of ws come with the package");
    assert.deepEqual([...imports.lazy].filter((name) => checkoutOnly.has(name)).sort(), ["esbuild", "vite"]);
  });

  it("imports in plain Node ESM and carries a message between two clients through an embedded server", async () => {
    const result = ok(await run(process.execPath, ["round-trip.mjs"], project, 30_000), "round-trip.mjs");
    const line = result.stdout.trim().split("\n").at(-1)!;
    assert.deepEqual(JSON.parse(line), { message: { text: "hello through the tarball" }, react: ["function", "function", "function"] });
  });

  for (const resolution of ["bundler", "node16", "nodenext"] as const) {
    it(`type-checks under moduleResolution ${resolution} with skipLibCheck false`, async () => {
      const module = resolution === "bundler" ? "esnext" : resolution;
      const config = { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: "es2022", module, moduleResolution: resolution, lib: ["es2022", "dom"], types: ["node"] }, files: ["consumer.ts", "typed-consumer.ts"] };
      writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify(config));
      ok(await run(process.execPath, [TSC, "-p", `tsconfig.${resolution}.json`], project, 90_000), `tsc (${resolution})`);
    });
  }

  it("bundles switchboard/client and switchboard/react for the browser with esbuild", async () => {
    const { build } = await import("esbuild");
    const result = await build({ absWorkingDir: project, entryPoints: ["browser-entry.js"], bundle: true, write: false, format: "esm", platform: "browser", minify: true, logLevel: "silent", define: { "process.env.NODE_ENV": '"production"' } });
    const code = result.outputFiles[0]!.text;
    assert.match(code, /switchboard/i);
    assert.doesNotMatch(code, /node:|require\("ws"\)/);
  });

  it("bundles the same entry with Vite", async () => {
    writeFileSync(join(project, "index.html"), '<!doctype html><script type="module" src="./browser-entry.js"></script>');
    const { build } = await import("vite");
    const nodeEnv = process.env.NODE_ENV;
    try {
      await build({ root: project, configFile: false, logLevel: "silent", build: { outDir: join(project, "vite-dist"), emptyOutDir: true } });
    } finally {
      // Vite sets NODE_ENV=production for the whole process while it builds.
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    const assets = readdirSync(join(project, "vite-dist/assets")).filter((file) => file.endsWith(".js"));
    assert.equal(assets.length, 1);
    assert.doesNotMatch(readFileSync(join(project, "vite-dist/assets", assets[0]!), "utf8"), /node:|require\("ws"\)/);
  });

  // Node 22 and 24 from the npm `node` package; skipped where the registry cannot provide them.
  for (const major of [22, 24]) {
    it(`runs on Node ${major}: the round trip (its global WebSocket) and the compiled bin serving /health and /dashboard`, async (t) => {
      if (process.env.SWITCHBOARD_SKIP_NODE_MATRIX === "1") return t.skip("SWITCHBOARD_SKIP_NODE_MATRIX=1");
      const probe = await run(NPX, ["-y", `node@${major}`, "-p", "process.execPath"], project, 180_000).catch(() => undefined);
      const node = probe?.code === 0 ? probe.stdout.trim().split("\n").at(-1)! : "";
      if (!existsSync(node)) return t.skip(`node@${major} could not be installed from the registry`);
      const version = ok(await run(node, ["--version"], project, 10_000), `node@${major} --version`).stdout.trim();
      assert.ok(version.startsWith(`v${major}.`), version);

      const result = ok(await run(node, ["round-trip.mjs"], project, 30_000), `round-trip.mjs on ${version}`);
      assert.deepEqual((JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { message: unknown }).message, { text: "hello through the tarball" });

      const port = await freePort();
      let server: Launched | undefined;
      try {
        server = await launch(node, ["node_modules/switchboard/bin/switchboard.js", "start"], { cwd: project, env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port) }), ready: /Switchboard listening/ });
        for (const path of ["/health", "/dashboard"]) assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, `${path} on ${version}`);
        const tree = server.tree();
        server.child.kill("SIGTERM");
        assert.equal(await server.exited, 0);
        await waitGone(tree, 15_000);
      } finally {
        server?.kill();
      }
    });
  }

  it("npx switchboard start serves WebSockets, /, /dashboard, /switchboard.js, /health and /metrics, and stops on SIGTERM leaving nothing behind", async () => {
    const port = await freePort();
    let server: Launched | undefined;
    try {
      server = await launch(NPX, ["--no", "switchboard", "start"], { cwd: project, env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port) }), ready: /Switchboard listening/ });
      const base = `http://127.0.0.1:${port}`;
      for (const [path, type] of [["/", "text/html"], ["/dashboard", "text/html"], ["/switchboard.js", "text/javascript"], ["/health", "application/json"], ["/metrics", "text/plain"]] as const) {
        const response = await fetch(base + path);
        assert.equal(response.status, 200, `${path} answers 200`);
        assert.ok(response.headers.get("content-type")?.startsWith(type), `${path} is ${type}`);
      }
      assert.doesNotMatch(server.output(), /Cannot find package/);
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      await client.ok({ type: "join", room: "chat:npx" });
      const tree = server.tree();
      server.child.kill("SIGTERM");
      assert.equal((await client.closed).code, 1001);
      await waitGone(tree, 15_000);
    } finally {
      server?.kill();
    }
  });
});

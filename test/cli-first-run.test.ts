// A newcomer's first `switchboard start`: in a terminal (a real pseudo-terminal from
// util-linux `script`) readable logs and a dashboard link that signs in; elsewhere JSON lines.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { launch, userEnv } from "./support/launch.js";
import type { Launched } from "./support/launch.js";
import { launchBrowser } from "./support/browser.js";
import type { TestBrowser } from "./support/browser.js";
import { freePort, runCli } from "./support/process.js";
import { waitGone } from "./support/process-tree.js";

const READY = /Switchboard listening/;

/** `switchboard start` with its stdout on a terminal. */
async function inTerminal(env: Record<string, string>, ready = READY): Promise<{ server: Launched; port: number }> {
  const port = await freePort();
  const server = await launch("script", ["-qfec", "node bin/switchboard.js start", "/dev/null"], { env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port), ...env }), ready });
  return { server, port };
}

async function stop(server: Launched): Promise<void> {
  const tree = server.tree();
  // The server is the last process of the tree (script → sh → node, or script → node).
  process.kill(tree.at(-1)!, "SIGTERM");
  await waitGone(tree, 15_000);
}

describe("first start outside production", { timeout: 180_000 }, () => {
  let browser: TestBrowser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(() => browser?.close());

  it("in a terminal: readable log lines and a printed dashboard link that opens the dashboard signed in", async () => {
    // The link is logged just after "listening": wait for all of it.
    const { server, port } = await inTerminal({}, /#key=sb_dev_[\w-]+[^\w-]/);
    try {
      const output = server.output();
      assert.doesNotMatch(output, /^\{"level"/m);
      assert.match(output, /INFO.*Switchboard listening on ws:\/\/127\.0\.0\.1/);
      const link = /(http:\/\/127\.0\.0\.1:\d+\/dashboard#key=(sb_dev_[\w-]+))/.exec(output);
      assert.ok(link !== null, `a dashboard link in:\n${output}`);
      const stats = await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: { authorization: `Bearer ${link[2]}` } });
      assert.equal(stats.status, 200);

      const page = await browser.page();
      await page.goto(link[1]!);
      await page.getByTestId("nodes").waitFor({ timeout: 20_000 });
      assert.equal(await page.getByRole("button", { name: "Open dashboard" }).count(), 0);
      assert.equal(new URL(page.url()).hash, "", "the key is taken out of the address bar");
      await page.close();
    } finally {
      await stop(server).finally(() => server.kill());
    }
  });

  it("in a terminal with SWITCHBOARD_LOG_FORMAT=json and SWITCHBOARD_DEV_API_KEY=off: JSON lines and no key", async () => {
    const { server, port } = await inTerminal({ SWITCHBOARD_LOG_FORMAT: "json", SWITCHBOARD_DEV_API_KEY: "off" });
    try {
      assert.match(server.output(), /^\{"level":30,.*"msg":"Switchboard listening/m);
      assert.doesNotMatch(server.output(), /sb_dev_/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/stats`)).status, 401);
    } finally {
      await stop(server).finally(() => server.kill());
    }
  });

  it("on a fresh checkout, builds dist/ first and then starts as configured (the build does not leak NODE_ENV=production)", async () => {
    // A copy without dist/ or web/dist (node_modules linked), so other tests keep this checkout's build.
    const checkout = mkdtempSync(join(tmpdir(), "switchboard-checkout-"));
    try {
      for (const path of ["bin", "scripts", "src", "web", "package.json", "tsconfig.json", "tsconfig.build.json"]) {
        cpSync(path, join(checkout, path), { recursive: true, filter: (source) => !/(^|\/)(dist|\.dist-[^/]*)$/.test(source) });
      }
      symlinkSync(resolve("node_modules"), join(checkout, "node_modules"), "dir");
      const port = await freePort();
      const server = await launch(process.execPath, ["bin/switchboard.js", "start"], { cwd: checkout, env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port) }), ready: READY, timeoutMs: 150_000 });
      try {
        assert.match(server.output(), /building dist\/ and web\/dist/);
        assert.match(server.output(), /AUTH IS OFF/);
        for (const path of ["/", "/dashboard", "/switchboard.js"]) assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, path);
      } finally {
        await stop(server).finally(() => server.kill());
      }
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });

  it("stops with exit code 2 naming SWITCHBOARD_LOG_FORMAT when it is neither pretty nor json", async () => {
    const result = await runCli(["start"], { SWITCHBOARD_LOG_FORMAT: "colourful", SWITCHBOARD_PORT: "0" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /SWITCHBOARD_LOG_FORMAT/);
  });

  it("through a pipe: JSON lines, one per entry, and no generated key", async () => {
    const port = await freePort();
    const server = await launch(process.execPath, ["bin/switchboard.js", "start"], { env: userEnv({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: String(port) }), ready: READY });
    try {
      const lines = server.output().trim().split("\n");
      for (const line of lines) assert.equal(typeof (JSON.parse(line) as { level: number }).level, "number");
      assert.doesNotMatch(server.output(), /sb_dev_/);
    } finally {
      await stop(server).finally(() => server.kill());
    }
  });
});

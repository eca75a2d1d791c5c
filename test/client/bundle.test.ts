import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { serveClientBundle } from "switchboard";
import type * as ClientModule from "switchboard/client";
import { startServerProcess } from "../support/process.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";

describe("browser bundle at /switchboard.js", () => {
  let server: TestServer;
  let base: string;
  const scratch = mkdtempSync(join(tmpdir(), "switchboard-bundle-"));

  before(async () => {
    server = await startTestServer();
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("is served as JavaScript, an ES module exporting connect, with no Node-only imports", async () => {
    const response = await fetch(`${base}/switchboard.js`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    const code = await response.text();
    assert.match(code, /export\s*\{[^}]*\bconnect\b/);
    assert.doesNotMatch(code, /\bimport\s*\(|\bfrom\s*["']|\brequire\(/, "a self-contained bundle imports nothing");
    assert.doesNotMatch(code, /["']ws["']|node:/);
  });

  it("answers revalidation with 304, HEAD without a body, and other methods with 405", async () => {
    const first = await fetch(`${base}/switchboard.js`);
    const etag = first.headers.get("etag");
    assert.ok(etag);
    assert.equal((await fetch(`${base}/switchboard.js`, { headers: { "if-none-match": etag } })).status, 304);
    const head = await fetch(`${base}/switchboard.js`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    assert.equal((await fetch(`${base}/switchboard.js`, { method: "POST" })).status, 405);
    assert.equal((await fetch(`${base}/other.js`)).status, 404);
  });

  it("can be imported and used: joins a room and receives a publication", async () => {
    const file = join(scratch, "switchboard.mjs");
    writeFileSync(file, await (await fetch(`${base}/switchboard.js`)).text());
    const bundle = (await import(pathToFileURL(file).href)) as typeof ClientModule;
    // Node 20 has no global WebSocket; a browser passes nothing.
    const client = bundle.connect(server.url, { WebSocket });
    try {
      const room = await client.join("chat:bundle");
      const received = new Promise((resolve) => room.on("message", (data) => resolve(data)));
      await room.publish({ text: "from the bundle" });
      assert.deepEqual(await received, { text: "from the bundle" });
    } finally {
      await client.close();
    }
  });

  it("is served by the standalone server (switchboard start)", async () => {
    const standalone = await startServerProcess();
    try {
      const response = await fetch(`http://127.0.0.1:${standalone.port}/switchboard.js`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.match(await response.text(), /export\s*\{[^}]*\bconnect\b/);
      const head = await fetch(`http://127.0.0.1:${standalone.port}/switchboard.js`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
    } finally {
      await standalone.stop();
    }
  });

  it("serveClientBundle leaves other requests to the caller's handler", async () => {
    const http = createServer((request, response) => {
      if (serveClientBundle(request, response)) return;
      response.end("mine");
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      assert.equal(await (await fetch(`${url}/page`)).text(), "mine");
      const bundle = await fetch(`${url}/switchboard.js?v=1`);
      assert.equal(bundle.status, 200);
      assert.match(await bundle.text(), /connect/);
    } finally {
      http.close();
    }
  });

  it("the client sources import no Node built-ins", () => {
    const directory = new URL("../../src/client/", import.meta.url);
    const builtins = new Set(builtinModules);
    for (const name of readdirSync(directory)) {
      const source = readFileSync(new URL(name, directory), "utf8");
      for (const match of source.matchAll(/(?:from\s*|import\s*\(\s*)["']([^"']+)["']/g)) {
        const specifier = match[1]!;
        assert.ok(!specifier.startsWith("node:") && !builtins.has(specifier), `${name} imports ${specifier}`);
      }
    }
  });
});

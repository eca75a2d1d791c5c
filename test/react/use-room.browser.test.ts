// switchboard/react in real Chromium: React 19 (development build, StrictMode) against a real server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { pino } from "pino";
import type { Page } from "playwright-core";
import WebSocket from "ws";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";
import { connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { launchBrowser } from "../support/browser.js";
import type { TestBrowser } from "../support/browser.js";

const ROOT = resolve(".");

/** The fixture page bundled for the browser: the hooks and the browser client from src/. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, "test/react/fixtures/chat-page.tsx")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    logLevel: "silent",
    alias: { "switchboard/client": join(ROOT, "src/client/browser.ts"), "switchboard/react": join(ROOT, "src/react/index.ts") },
    define: { "process.env.NODE_ENV": '"development"' },
  });
  return result.outputFiles[0]!.text;
}

describe("switchboard/react in chromium", { timeout: 120_000 }, () => {
  let sb: Switchboard;
  let http: Server;
  let base: string;
  let browser: TestBrowser;
  let page: Page;
  let observer: SwitchboardClient<object, object>;
  const pageConnections: string[] = [];

  before(async () => {
    const script = await bundlePage();
    http = createServer((request, response) => {
      if (request.url === "/app.js") response.writeHead(200, { "content-type": "text/javascript" }).end(script);
      else response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
    });
    sb = createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: process.env.TEST_LOGS ?? "silent" }) });
    sb.on("connect", (connection) => pageConnections.push(connection.id));
    sb.attach(http, { path: "/ws" });
    await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    observer = connect(base.replace("http", "ws") + "/ws", { WebSocket });
    browser = await launchBrowser();
    page = await browser.page();
  });
  after(async () => {
    await browser?.close();
    await observer?.close();
    await sb?.close();
    http?.close();
  });

  const chat = (): ReturnType<Page["getByTestId"]> => page.getByTestId("chat");
  /** Connections in a room, counted by the server across its members. */
  const inRoom = async (room: string): Promise<number> => (await sb.presence(room)).reduce((sum, member) => sum + member.connections, 0);
  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((done) => setTimeout(done, 25));
    }
  }

  it("joins on mount, renders the last messages, members and connection state, and publishes from the page", async () => {
    await page.goto(base);
    await page.locator('[data-testid="chat"][data-status="joined"][data-connection="connected"][data-state="connected"]').waitFor({ timeout: 15_000 });
    // StrictMode mounted the effect twice: still one membership.
    assert.equal(await inRoom("chat:react"), 1);

    for (const text of ["one", "two", "three", "four"]) await sb.publish("chat:react", { text });
    await page.locator("li", { hasText: "four" }).waitFor();
    assert.deepEqual(await chat().locator("li").allTextContents(), ["two", "three", "four"]);

    const room = await observer.join<{ text: string }>("chat:react");
    await chat().and(page.locator('[data-members="2"]')).waitFor();
    const received = new Promise<string>((done) => room.on("message", (data) => done(data.text)));
    await page.getByRole("button", { name: "Send" }).click();
    assert.equal(await received, "from the page");
    await room.leave();
    await chat().and(page.locator('[data-members="1"]')).waitFor();
  });

  it("comes back connected and joined, with new messages, after the server drops the connection", async () => {
    const dropped = pageConnections.at(-1)!;
    await sb.disconnect({ connectionId: dropped, code: 1012, reason: "restart" });
    await until(async () => pageConnections.at(-1) !== dropped, "the page to reconnect");
    await page.locator('[data-testid="chat"][data-status="joined"][data-connection="connected"]').waitFor();
    await until(async () => (await inRoom("chat:react")) === 1, "the page back in the room");
    await sb.publish("chat:react", { text: "after the reconnect" });
    await page.locator("li", { hasText: "after the reconnect" }).waitFor();
  });

  it("leaves the old room when the name changes and every room on unmount", async () => {
    await page.getByRole("button", { name: "Switch room" }).click();
    await page.locator('[data-testid="chat"][data-room="chat:other"][data-status="joined"]').waitFor();
    await until(async () => (await inRoom("chat:react")) === 0 && (await inRoom("chat:other")) === 1, "the switch on the server");
    assert.equal(await chat().locator("li").count(), 0, "the new room starts empty");
    await page.getByRole("button", { name: "Unmount" }).click();
    await until(async () => (await inRoom("chat:other")) === 0, "the unmounted room left");
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import WebSocket from "ws";
import { connect } from "switchboard/client";
import { startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The page of docs/client.md: a module script importing /switchboard.js, no build step. */
const PAGE = `<!doctype html>
<script type="module">
  import { connect } from "/switchboard.js";
  window.seen = { states: [], messages: [], resets: 0 };
  const sb = connect("/ws", { reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
  sb.on("state", (state) => window.seen.states.push(state));
  const room = await sb.join("chat:browser");
  room.on("message", (data) => window.seen.messages.push(data.text));
  room.on("reset", () => window.seen.resets++);
  window.seen.joined = true;
</script>`;

interface Seen {
  states: string[];
  messages: string[];
  resets: number;
  joined?: boolean;
}

describe("the browser bundle in chromium", { timeout: 120_000 }, () => {
  const profile = mkdtempSync(join(tmpdir(), "switchboard-client-chromium-"));
  const processes: ServerProcess[] = [];
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await Promise.all(processes.map((server) => server.stop("SIGKILL")));
    rmSync(profile, { recursive: true, force: true });
  });

  async function seen(): Promise<Seen> {
    return page.evaluate(() => (window as unknown as { seen: Seen }).seen);
  }

  async function until(condition: (state: Seen) => boolean, what: string): Promise<Seen> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = await seen().catch(() => undefined);
      if (state !== undefined && condition(state)) return state;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page saw ${JSON.stringify(state)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function publish(server: ServerProcess, text: string): Promise<void> {
    const publisher = connect(server.url, { WebSocket });
    try {
      await (await publisher.join("chat:browser")).publish({ text });
    } finally {
      await publisher.close();
    }
  }

  it("loads /switchboard.js from the server, joins a room, receives publications, and survives a server restart", async () => {
    const first = await startServerProcess();
    processes.push(first);
    // Same origin as the server, so "/switchboard.js" and "/ws" resolve against it.
    await page.goto(`http://127.0.0.1:${first.port}/health/live`);
    await page.setContent(PAGE);
    await until((state) => state.joined === true, "the page to join");
    await publish(first, "before restart");
    await until((state) => state.messages.includes("before restart"), "the first message");

    await first.stop("SIGKILL");
    await until((state) => state.states.includes("reconnecting"), "the page to notice");
    const second = await startServerProcess({}, first.port);
    processes.push(second);
    await until((state) => state.states.filter((name) => name === "connected").length >= 2, "the page to reconnect");
    await publish(second, "after restart");
    const state = await until((current) => current.messages.includes("after restart"), "the message after the restart");
    assert.deepEqual(state.messages, ["before restart", "after restart"]);
    // The restarted in-memory node lost the room's history: the page is told to reload.
    assert.equal(state.resets, 1);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { launchBrowser } from "../support/browser.js";
import type { TestBrowser } from "../support/browser.js";
import { startWebServer } from "./web-server.js";
import type { WebServer } from "./web-server.js";

const WAIT = { timeout: 30_000 };

/** Opens the demo as `name` and enters `room`, as a newcomer would with mouse or keyboard. */
async function enter(page: Page, httpUrl: string, name: string, room: string): Promise<void> {
  await page.goto(`${httpUrl}/`);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Save name" }).click();
  await page.getByTestId("me").getByText(name).waitFor(WAIT);
  await page.locator(`button[data-room="${room}"]`).click();
  await page.getByLabel("Message", { exact: true }).waitFor(WAIT);
  await waitConnected(page, name);
}

/** Waits for the banner to say "connected"; a failure names the state and last close code it showed instead. */
async function waitConnected(page: Page, name: string): Promise<void> {
  const banner = page.getByTestId("banner");
  await page.locator('[data-testid="banner"][data-state="connected"]').waitFor(WAIT).catch(async (error: unknown) => {
    const shown = await banner.evaluate((node) => `${node.getAttribute("data-state")} (last close ${node.getAttribute("data-last-close") ?? "none"}): ${node.textContent ?? ""}`).catch(() => "no banner");
    throw new Error(`${name}'s page never showed "connected"; the banner said ${shown}`, { cause: error });
  });
}

/**
 * Makes the page run its effects only after the server's welcome, as a background or busy tab
 * does: no animation frames (a hidden tab gets none), and timer callbacks held from the moment
 * the page opens its first WebSocket until that socket's first frame has been handled. Preact
 * runs effects from exactly these two callbacks, so a listener attached in an effect misses
 * whatever the connection did before it. Plain JavaScript in a string: a function passed from
 * here would carry the TypeScript loader's helpers, which the page does not have.
 */
const EFFECTS_AFTER_WELCOME = `(() => {
  const held = [];
  let holding = false;
  const nativeSetTimeout = window.setTimeout.bind(window);
  const release = () => {
    holding = false;
    for (const run of held.splice(0)) run();
  };
  window.requestAnimationFrame = () => 0;
  window.setTimeout = (handler, delay, ...args) => nativeSetTimeout(() => {
    const run = () => { if (typeof handler === "function") handler(...args); };
    if (holding) held.push(run);
    else run();
  }, delay);
  const NativeWebSocket = window.WebSocket;
  let opened = false;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      if (opened) return;
      opened = true;
      holding = true;
      // A new task, so the page's own message handler (registered after this one) has run first.
      const releaseLater = () => nativeSetTimeout(release, 0);
      this.addEventListener("message", releaseLater, { once: true });
      this.addEventListener("close", releaseLater, { once: true });
    }
  };
})();`;

/** The page needs no horizontal scrolling at its viewport width. */
async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

async function say(page: Page, text: string): Promise<void> {
  const composer = page.getByLabel("Message", { exact: true });
  await composer.fill(text);
  await composer.press("Enter");
}

describe("demo app in chromium", { timeout: 300_000 }, () => {
  let server: WebServer;
  let browser: TestBrowser;

  before(async () => {
    // One room whose member list stops at one connection: above it the server sends counts only.
    server = await startWebServer({ SWITCHBOARD_ROOMS: JSON.stringify([{ match: "chat:crowd", presenceListLimit: 1 }]) });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("two pages chat and see each other in presence and typing", async () => {
    const alice = await browser.page({ width: 1280 });
    const bob = await browser.page({ width: 390, height: 800 }); // phone width
    await enter(alice, server.httpUrl, "alice", "chat:general");
    await enter(bob, server.httpUrl, "bob", "chat:general");

    await alice.getByTestId("presence").getByText("bob").waitFor(WAIT);
    await bob.getByTestId("presence").getByText("alice").waitFor(WAIT);

    await bob.getByLabel("Message", { exact: true }).fill("typing a long thought");
    await alice.getByTestId("typing").getByText("bob is typing…").waitFor(WAIT);
    await bob.getByLabel("Message", { exact: true }).press("Enter");
    await alice.getByTestId("messages").getByText("typing a long thought").waitFor(WAIT);

    await say(alice, "hello bob");
    await bob.getByTestId("messages").getByText("hello bob").waitFor(WAIT);
    const line = bob.getByTestId("messages").locator("li", { hasText: "hello bob" });
    assert.match(await line.innerText(), /alice/);

    assert.equal(await fitsWidth(bob), true, "no sideways scrolling at phone width");
    await browser.screenshot(alice, "demo-chat-desktop");
    await browser.screenshot(bob, "demo-chat-phone");

    // Leaving takes bob out of alice's presence list.
    await bob.getByRole("button", { name: "Back to rooms" }).click();
    await alice.getByTestId("presence").getByText("bob").waitFor({ state: "detached", ...WAIT });
    await browser.screenshot(bob, "demo-lobby-phone");
  });

  it("shows only the count, not a stale list, once a room is too big to list", async () => {
    const frank = await browser.page();
    const grace = await browser.page();
    const openCrowd = async (page: Page, name: string): Promise<void> => {
      await page.goto(`${server.httpUrl}/`);
      await page.getByLabel("Display name").fill(name);
      await page.getByRole("button", { name: "Save name" }).click();
      await page.getByTestId("me").getByText(name).waitFor(WAIT);
      await page.getByLabel("Or open a room by name").fill("crowd");
      await page.getByRole("button", { name: "Join", exact: true }).click();
      await page.getByLabel("Message", { exact: true }).waitFor(WAIT);
      await waitConnected(page, name);
    };
    await openCrowd(frank, "frank");
    // Alone, frank is within the limit: he sees the list, with himself in it.
    await frank.getByTestId("presence").getByText("frank").waitFor(WAIT);
    await openCrowd(grace, "grace");
    // Two connections are over the limit of one: both pages show the count and no list.
    for (const page of [frank, grace]) {
      await page.getByTestId("presence-count-only").getByText("2 connections").waitFor(WAIT);
      assert.equal(await page.getByTestId("presence").count(), 0, "no member list is shown in count mode");
    }
    // Back within the limit, the list comes back.
    await grace.getByRole("button", { name: "Back to rooms" }).click();
    await frank.getByTestId("presence").getByText("frank").waitFor(WAIT);
  });

  it("a page reloaded mid-conversation shows the history", async () => {
    const carol = await browser.page();
    const dave = await browser.page();
    await enter(carol, server.httpUrl, "carol", "chat:random");
    await enter(dave, server.httpUrl, "dave", "chat:random");
    await say(carol, "first from carol");
    await say(dave, "second from dave");
    await say(carol, "third from carol");
    await dave.getByTestId("messages").getByText("third from carol").waitFor(WAIT);

    await dave.reload();
    await waitConnected(dave, "dave");
    const messages = dave.getByTestId("messages");
    for (const text of ["first from carol", "second from dave", "third from carol"]) await messages.getByText(text).waitFor(WAIT);
    const order = await messages.locator("li").allInnerTexts();
    const at = (text: string): number => order.findIndex((entry) => entry.includes(text));
    assert.ok(at("first from carol") < at("second from dave") && at("second from dave") < at("third from carol"), `history in order: ${JSON.stringify(order)}`);
    // Still in the room after the reload, and still talking.
    await dave.getByTestId("presence").getByText("carol").waitFor(WAIT);
    await say(dave, "back again");
    await carol.getByTestId("messages").getByText("back again").waitFor(WAIT);
    await browser.screenshot(dave, "demo-after-reload");
  });

  it("shows connected when the page's effects run after the welcome (a background tab)", async () => {
    const erin = await browser.page();
    await erin.addInitScript(EFFECTS_AFTER_WELCOME);
    await enter(erin, server.httpUrl, "erin", "chat:help");
    await say(erin, "still here");
    await erin.getByTestId("messages").getByText("still here").waitFor(WAIT);
  });

  it("is usable with the keyboard alone", async () => {
    const page = await browser.page();
    await page.goto(`${server.httpUrl}/`);
    await page.getByLabel("Display name").waitFor(WAIT);
    // Tab to the first room button and press Enter: the chat opens with focusable controls.
    const roomButton = page.locator('button[data-room="chat:help"]');
    for (let presses = 0; presses < 10 && !(await roomButton.evaluate((element) => element === document.activeElement)); presses += 1) await page.keyboard.press("Tab");
    assert.equal(await roomButton.evaluate((element) => element === document.activeElement), true, "a room button is reachable with Tab");
    await page.keyboard.press("Enter");
    const composer = page.getByLabel("Message", { exact: true });
    await composer.waitFor(WAIT);
    await page.locator('[data-testid="banner"][data-state="connected"]').waitFor(WAIT);
    await composer.focus();
    await page.keyboard.type("sent from the keyboard");
    await page.keyboard.press("Enter");
    await page.getByTestId("messages").getByText("sent from the keyboard").waitFor(WAIT);
  });
});

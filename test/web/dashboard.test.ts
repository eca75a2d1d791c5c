import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { launchBrowser } from "../support/browser.js";
import type { TestBrowser } from "../support/browser.js";
import { mintToken, TEST_SECRET } from "../support/tokens.js";
import { API_KEY, startWebServer } from "./web-server.js";
import type { WebServer } from "./web-server.js";

const WAIT = { timeout: 30_000 };

async function signIn(page: Page, httpUrl: string): Promise<void> {
  await page.goto(`${httpUrl}/dashboard`);
  await page.getByLabel("Server API key").fill(API_KEY);
  await page.getByRole("button", { name: "Open dashboard" }).click();
  await page.locator('[data-testid="stream-status"][data-status="live"]').waitFor(WAIT);
}

async function numberIn(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).innerText());
}

/** Polls the page until `condition` holds for the number shown in `testId` (bounded by WAIT). */
async function waitForNumber(page: Page, testId: string, condition: (value: number) => boolean, what: string): Promise<number> {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const value = await numberIn(page, testId);
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${value}`);
    await page.waitForTimeout(200);
  }
}

describe("dashboard in chromium", { timeout: 300_000 }, () => {
  let server: WebServer;
  let browser: TestBrowser;
  const clients: TestClient[] = [];

  before(async () => {
    // JWT auth, so users have ids the dashboard can disconnect by; dev tokens for the demo's sign-in.
    server = await startWebServer({ SWITCHBOARD_AUTH: "jwt", SWITCHBOARD_JWT_SECRET: TEST_SECRET, SWITCHBOARD_WEB_DEV_TOKENS: "on" });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await browser?.close();
    await server?.close();
  });

  it("refuses a wrong key and keeps a right one for the tab", async () => {
    const page = await browser.page();
    await page.goto(`${server.httpUrl}/dashboard`);
    await page.getByLabel("Server API key").fill("not-the-key-at-all-0000");
    await page.getByRole("button", { name: "Open dashboard" }).click();
    await page.getByTestId("login-error").waitFor(WAIT);
    await signIn(page, server.httpUrl);
    await page.reload();
    await page.locator('[data-testid="stream-status"][data-status="live"]').waitFor(WAIT);
  });

  it("connection count and chart move when clients connect and publish", async () => {
    const page = await browser.page();
    await signIn(page, server.httpUrl);
    const before = await waitForNumber(page, "total-connections", (value) => Number.isFinite(value), "connections shown");

    for (let index = 0; index < 3; index += 1) {
      const client = await connect(`${server.url}?token=${await mintToken({ sub: `load-${index}` }, { expiresIn: "1h" })}`);
      clients.push(client);
      await client.ok({ type: "join", room: "chat:load" });
    }
    await waitForNumber(page, "total-connections", (value) => value >= before + 3, "connections rose by 3");

    // Publish for a few seconds so the per-second series has traffic in it.
    const chart = page.getByTestId("frames-chart");
    const deadline = Date.now() + WAIT.timeout;
    let lastIn = 0;
    for (let round = 0; round < 100 && Date.now() < deadline; round += 1) {
      for (const client of clients) await client.ok({ type: "publish", room: "chat:load", data: { text: `load ${round}` } });
      lastIn = Number(await chart.getAttribute("data-last-in"));
      if (lastIn > 0 && Number(await chart.getAttribute("data-points")) > 1) break;
      await page.waitForTimeout(250);
    }
    assert.ok(lastIn > 0, "the chart's latest frames-in point is above zero");
    assert.ok((await chart.locator("canvas").count()) > 0, "uPlot drew a canvas");

    // The room is listed by members; selecting it shows presence and recent history.
    const presenceRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/presence")) presenceRequests.push(request.url());
    });
    await page.locator('button[data-room="chat:load"]').click();
    const detail = page.getByTestId("room-detail");
    await detail.getByTestId("room-presence").getByText("load-0").waitFor(WAIT);
    const presenceCount = detail.getByTestId("room-presence-count");
    await presenceCount.waitFor(WAIT);
    assert.equal(await presenceCount.getAttribute("data-count"), "3", "the room's count, from the page reply");
    assert.ok(presenceRequests.length > 0 && presenceRequests.every((url) => new URL(url).searchParams.has("limit")), `the dashboard reads one page of presence, never the whole list: ${presenceRequests.join(", ")}`);
    await detail.getByTestId("room-history").getByText("load 0", { exact: false }).first().waitFor(WAIT);
    await browser.screenshot(page, "dashboard-desktop");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId("total-connections").waitFor(WAIT);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling at phone width");
    await browser.screenshot(page, "dashboard-phone");

    for (const client of clients.splice(0)) await client.close();
    await waitForNumber(page, "total-connections", (value) => value <= before, "connections fell back");
  });

  it("disconnecting a user closes their page, and the banner says so", async () => {
    const erin = await browser.page({ width: 390 });
    await erin.goto(`${server.httpUrl}/`);
    await erin.getByLabel("Your name").fill("erin");
    await erin.getByRole("button", { name: "Get a demo token" }).click();
    await erin.locator('button[data-room="chat:general"]').click();
    await erin.locator('[data-testid="banner"][data-state="connected"]').waitFor(WAIT);
    await erin.getByTestId("presence").getByText("erin").waitFor(WAIT);

    const dashboard = await browser.page();
    await signIn(dashboard, server.httpUrl);
    await dashboard.locator('button[data-room="chat:general"]').click();
    dashboard.once("dialog", (dialog) => void dialog.accept());
    await dashboard.locator('button[data-user="erin"]').click();

    // The page was closed with 4009; the banner keeps saying so after the client reconnects.
    await erin.locator('[data-testid="banner"][data-last-close="4009"]').waitFor(WAIT);
    await browser.screenshot(erin, "demo-disconnected-phone");
    assert.match(await erin.getByTestId("banner").innerText(), /4009/);
    // Back in the room with the gap recovered from history: a message published now arrives.
    await erin.locator('[data-testid="banner"][data-state="connected"] [data-notice="recovered"]').waitFor(WAIT);
    assert.equal((await server.call("POST", "/api/publish", { room: "chat:general", data: { text: "welcome back", name: "ops" } })).status, 200);
    await erin.getByTestId("messages").getByText("welcome back").waitFor(WAIT);
    const disconnects = dashboard.getByTestId("disconnects");
    await disconnects.locator('tr[data-key="4009"]').waitFor(WAIT);
    await browser.screenshot(dashboard, "dashboard-after-disconnect");
  });

  it("the demo asks for a token when the server requires JWT and accepts a pasted one", async () => {
    const page = await browser.page();
    await page.goto(`${server.httpUrl}/`);
    await page.getByLabel("Paste a token").fill(await mintToken({ sub: "frank" }, { expiresIn: "1h" }));
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.locator('[data-testid="banner"][data-state="connected"]').waitFor(WAIT);
    await page.getByTestId("me").getByText("frank").waitFor(WAIT);
    await browser.screenshot(page, "demo-jwt-signed-in");
  });
});

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { ensureWebBuilt } from "../../src/web-app-server/ensure-built.js";

/** Debian's chromium; .ci/run installs it with apt where it is missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots land here (git-ignored) so a failing run can be looked at. */
export const ARTIFACTS = resolve("test-artifacts");

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface TestBrowser {
  /** A fresh context (its own storage): one per simulated person. */
  context(options?: { width?: number; height?: number }): Promise<BrowserContext>;
  page(options?: { width?: number; height?: number }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Builds web/dist if it is missing (bounded inside ensureWebBuilt); fails the test if it cannot. */
export async function ensureWebFace(): Promise<string> {
  const dist = await ensureWebBuilt();
  if (dist === undefined) throw new Error("web/dist is missing and could not be built; run npm run build:web");
  return dist;
}

/**
 * Launches headless chromium with a fresh profile directory (removed on close),
 * no background networking, no GPU. Everything a page loads comes from the
 * loopback test server.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "switchboard-chromium-"));
  // A persistent context is how a profile directory is chosen; further contexts come from its browser.
  const first = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 800 }, timeout: 30_000 });
  const browser = first.browser();
  const contexts: BrowserContext[] = [first];
  let firstUsed = false;
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = async (options: { width?: number; height?: number } = {}): Promise<BrowserContext> => {
    const viewport = { width: options.width ?? 1280, height: options.height ?? 800 };
    if (!firstUsed) {
      firstUsed = true;
      return first;
    }
    if (browser === null) throw new Error("chromium exposed no browser for extra contexts");
    const created = await browser.newContext({ viewport });
    contexts.push(created);
    return created;
  };
  return {
    context,
    async page(options = {}) {
      const target = await context(options);
      const page = await target.newPage();
      if (options.width !== undefined) await page.setViewportSize({ width: options.width, height: options.height ?? 800 });
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const created of contexts.reverse()) await created.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

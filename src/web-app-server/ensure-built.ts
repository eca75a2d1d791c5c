import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log/logger.js";

/** The repository's web/ folder (sources, vite.config.ts and, once built, dist/). */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../web");
export const WEB_DIST = join(WEB_ROOT, "dist");
const BUILD_DEADLINE_MS = 120_000;

/** What the pages are built from: when any is newer than the build, the build is stale. */
const SOURCES = [join(WEB_ROOT, "src"), join(WEB_ROOT, "index.html"), join(WEB_ROOT, "dashboard", "index.html"), join(WEB_ROOT, "vite.config.ts"), resolve(WEB_ROOT, "../src/client")];

export function isWebBuilt(dist: string = WEB_DIST): boolean {
  return existsSync(join(dist, "index.html")) && existsSync(join(dist, "dashboard", "index.html"));
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stat.mtimeMs);
}

/** Built, and not older than its sources (an installed copy without sources counts as current). */
export function isWebCurrent(dist: string = WEB_DIST): boolean {
  if (!isWebBuilt(dist)) return false;
  const built = statSync(join(dist, "index.html")).mtimeMs;
  return SOURCES.every((source) => newestMtime(source) <= built);
}

/**
 * Builds web/dist with Vite when it is missing or older than its sources, so
 * `npm start` on a fresh clone (or after editing web/src) serves current pages. Everything comes from node_modules; nothing is downloaded.
 * The build goes to a private folder first and is renamed into place, so two
 * processes building at once never serve a half-written site.
 * Resolves with the dist folder, or undefined (logged) when it cannot be built.
 */
export async function ensureWebBuilt(logger?: Pick<Logger, "info" | "warn">): Promise<string | undefined> {
  if (isWebCurrent()) return WEB_DIST;
  const configFile = join(WEB_ROOT, "vite.config.ts");
  if (!existsSync(configFile)) {
    if (isWebBuilt()) return WEB_DIST;
    logger?.warn(`web face: ${WEB_DIST} is missing and there are no web sources to build it from`);
    return undefined;
  }
  logger?.info("web face: building web/dist (missing or older than web/src; `npm run build` does this ahead of time)");
  const staging = join(WEB_ROOT, `.dist-${process.pid}-${Date.now()}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const { build } = await import("vite");
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the build took longer than ${BUILD_DEADLINE_MS / 1000} s`)), BUILD_DEADLINE_MS);
    });
    await Promise.race([build({ configFile, logLevel: "warn", build: { outDir: staging, emptyOutDir: true } }), deadline]);
    if (!isWebCurrent()) {
      const old = `${staging}-old`;
      try {
        if (existsSync(WEB_DIST)) renameSync(WEB_DIST, old);
        renameSync(staging, WEB_DIST);
      } catch (error) {
        // Another process swapped its build into place at the same moment: use that one.
        if (!isWebBuilt()) throw error;
      } finally {
        rmSync(old, { recursive: true, force: true });
      }
    }
    return WEB_DIST;
  } catch (error) {
    logger?.warn(`web face: building web/dist failed (${error instanceof Error ? error.message : String(error)}); run npm run build to see why`);
    return undefined;
  } finally {
    clearTimeout(timer);
    rmSync(staging, { recursive: true, force: true });
  }
}

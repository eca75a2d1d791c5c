import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

/** Where the server serves the browser client (an ES module exporting `connect`). */
export const CLIENT_BUNDLE_PATH = "/switchboard.js";

const root = new URL("../../", import.meta.url);
/** Written by `npm run build` and shipped in the package; used when present so production needs no bundler. */
const PREBUILT = new URL("dist/client/switchboard.js", root);
const ENTRY = new URL("src/client/browser.ts", root);

export interface ClientBundle {
  code: string;
  etag: string;
}

let bundle: Promise<ClientBundle> | undefined;

/** Bundles the browser client with esbuild, in memory (also what the build script writes out). */
export async function buildClientBundle(): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [fileURLToPath(ENTRY)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild produced no output for the client bundle");
  return output.text;
}

/** The prebuilt bundle if there is one, else one built at first use; cached for the process. */
export function loadClientBundle(): Promise<ClientBundle> {
  bundle ??= readFile(PREBUILT, "utf8")
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return buildClientBundle();
      throw error;
    })
    .then((code) => ({ code, etag: `"${createHash("sha256").update(code).digest("base64url").slice(0, 27)}"` }));
  // A failed build is retried on the next request rather than cached.
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

/**
 * Serves the browser client at /switchboard.js from any Node HTTP handler
 * (plain `http`, Express, Fastify's raw request/response). Returns true when it
 * took the request, false to let the caller route it.
 */
export function serveClientBundle(request: IncomingMessage, response: ServerResponse): boolean {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  if ((query === -1 ? url : url.slice(0, query)) !== CLIENT_BUNDLE_PATH) return false;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: { code: "bad_request", message: "Use GET for /switchboard.js." } }));
    return true;
  }
  loadClientBundle().then(
    ({ code, etag }) => {
      const headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        ETag: etag,
        // Revalidate every time: the bundle changes with the server's version.
        "Cache-Control": "no-cache",
        // A page on another origin may import it (module scripts are fetched with CORS).
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
      };
      if (request.headers["if-none-match"] === etag) {
        response.writeHead(304, headers);
        response.end();
        return;
      }
      response.writeHead(200, { ...headers, "Content-Length": Buffer.byteLength(code) });
      response.end(request.method === "HEAD" ? undefined : code);
    },
    () => {
      response.writeHead(500, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: { code: "internal", message: "The client bundle could not be built." } }));
    },
  );
  return true;
}

import type { FastifyInstance, FastifyReply } from "fastify";
import { registerDevTokens } from "./dev-token.js";
import type { DevTokenOptions } from "./dev-token.js";
import { loadStaticFiles } from "./static-files.js";
import type { StaticFile } from "./static-files.js";

export interface WebFaceOptions {
  /** The built site (web/dist): index.html, dashboard/index.html, assets/. */
  dist: string;
  /** The WebSocket path the demo connects to, e.g. "/ws". */
  wsPath: string;
  /** When the pages are served on another port than the WebSocket (a separate API port). */
  wsPort?: number | (() => number | undefined);
  /** "jwt" makes the demo ask for a token before connecting. */
  auth: "anonymous" | "jwt";
  /** Enables POST /web/dev-token (development only; see docs/web.md). */
  devTokens?: DevTokenOptions;
}

/** Pages may talk only to their own origin (HTTP and WebSocket); nothing is loaded from elsewhere. */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

function send(reply: FastifyReply, file: StaticFile): FastifyReply {
  reply.header("content-type", file.type).header("x-content-type-options", "nosniff");
  if (file.type.startsWith("text/html")) reply.headers(PAGE_HEADERS);
  else reply.header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return reply.send(file.body);
}

/**
 * Serves the web face on a Fastify app: the demo app at /, the operations
 * dashboard at /dashboard, their assets, and /web-config.json telling the pages
 * where the WebSocket is and whether it needs a token.
 */
export function mountWebFace(app: FastifyInstance, options: WebFaceOptions): void {
  const files = loadStaticFiles(options.dist);
  const demo = files.get("/index.html");
  const dashboard = files.get("/dashboard/index.html");
  if (demo === undefined || dashboard === undefined) throw new Error(`${options.dist} is not a built web face (index.html or dashboard/index.html missing); run npm run build`);

  // Computed per request: the WebSocket port may only be known once the server listens.
  const webConfig = (): string => {
    const wsPort = typeof options.wsPort === "function" ? options.wsPort() : options.wsPort;
    return JSON.stringify({ wsPath: options.wsPath, wsPort, auth: options.auth, devTokens: options.devTokens !== undefined });
  };
  app.get("/web-config.json", async (_request, reply) => reply.header("content-type", "application/json; charset=utf-8").header("cache-control", "no-store").send(webConfig()));
  app.get("/", async (_request, reply) => send(reply, demo));
  app.get("/dashboard", async (_request, reply) => send(reply, dashboard));
  app.get("/dashboard/", async (_request, reply) => send(reply, dashboard));
  for (const [url, file] of files) {
    if (url.endsWith(".html")) continue;
    app.get(url, async (_request, reply) => send(reply, file));
  }
  if (options.devTokens !== undefined) registerDevTokens(app, options.devTokens);
}

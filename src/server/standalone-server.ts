import { createServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import type { Protection } from "../protection/protection.js";
import { serveClientBundle } from "./client-bundle.js";

/**
 * The HTTP server `listen()` starts: the browser client at /switchboard.js, 426 on the
 * WebSocket path for a plain request, 404 elsewhere; with protection's slow-loris timeouts.
 */
export function createStandaloneServer(protection: Protection, path: string): HttpServer {
  return createServer(protection.httpServerOptions(), (request, response) => {
    if (serveClientBundle(request, response)) return;
    const status = (request.url ?? "/").split("?")[0] === path ? 426 : 404;
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: { code: status === 426 ? "bad_request" : "not_found", message: status === 426 ? "WebSocket upgrade required." : "Not found." } }));
  });
}

/** Resolves once `server` listens on `port`/`host`; rejects with the listen error (EADDRINUSE…). */
export function listenOn(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

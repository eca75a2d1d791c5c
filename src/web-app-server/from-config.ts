import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { ServerConfig } from "../config/server-config.js";
import type { Logger } from "../log/logger.js";
import { ensureWebBuilt } from "./ensure-built.js";
import { mountWebFace } from "./mount.js";
import type { WebFaceOptions } from "./mount.js";

/** Paths the pages live at; a WebSocket path there would clash with them. */
const RESERVED_PATHS = new Set(["/", "/dashboard", "/dashboard/", "/web-config.json"]);

/**
 * The standalone server's web face: builds web/dist if needed and mounts the
 * pages on the WebSocket app (and on the API app when the API has its own port,
 * so the dashboard reaches /api on its own origin). Resolves false when
 * SWITCHBOARD_WEB=off or the pages cannot be built; the server runs either way.
 */
export async function mountWebFaceFromConfig(apps: { app: FastifyInstance; apiApp: FastifyInstance }, config: ServerConfig, authMode: string, logger: Logger): Promise<boolean> {
  if (!config.web) return false;
  if (RESERVED_PATHS.has(config.path)) {
    logger.warn(`web face: off, because SWITCHBOARD_PATH=${config.path} is one of its pages; pick another WebSocket path to get the demo and dashboard`);
    return false;
  }
  const dist = await ensureWebBuilt(logger);
  if (dist === undefined) return false;
  const options: WebFaceOptions = { dist, wsPath: config.path, auth: authMode === "anonymous" ? "anonymous" : "jwt" };
  if (config.webDevTokens && config.jwtSecret !== undefined) {
    options.devTokens = { secret: config.jwtSecret, audience: config.jwtAudience, issuer: config.jwtIssuer };
    logger.warn("SWITCHBOARD_WEB_DEV_TOKENS is on: POST /web/dev-token lets anyone sign in as any name. Development only.");
  }
  mountWebFace(apps.app, options);
  if (apps.apiApp !== apps.app) mountWebFace(apps.apiApp, { ...options, wsPort: () => (apps.app.server.address() as AddressInfo | null)?.port });
  return true;
}

/** The lines `npm start` prints so a newcomer knows what to open. */
export function webFaceBanner(httpUrl: string, apiUrl: string, hasApiKeys: boolean): string {
  return `Demo app: ${httpUrl}/  ·  Dashboard: ${apiUrl}/dashboard (${hasApiKeys ? "sign in with a SWITCHBOARD_API_KEY key" : "set SWITCHBOARD_API_KEY to sign in"})`;
}

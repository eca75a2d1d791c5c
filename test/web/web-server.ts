import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { ensureWebFace } from "../support/browser.js";

export { API_KEY } from "../support/api-server.js";

export interface WebServer extends ApiServer {
  /** http://127.0.0.1:<port>: the demo app is at /, the dashboard at /dashboard. */
  httpUrl: string;
}

/** The standalone server from startServer() with the web face built and mounted. */
export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  await ensureWebFace();
  const server = await startApiServer(env);
  return { ...server, httpUrl: `http://127.0.0.1:${server.running.port}` };
}

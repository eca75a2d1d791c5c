import { loadServerConfig } from "../../src/config/server-config.js";
import { startServer } from "../../src/cli/start.js";
import type { RunningServer } from "../../src/cli/start.js";

export const API_KEY = "switchboard-test-api-key-0123456789";

export interface ApiServer {
  running: RunningServer;
  url: string;
  apiUrl: string;
  /** Calls the server API with the test key (or `key`, or none with `key: null`). */
  call(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }>;
  close(): Promise<void>;
}

/** The standalone server in this process, configured by SWITCHBOARD_* variables, on a free loopback port. */
export async function startApiServer(env: Record<string, string> = {}): Promise<ApiServer> {
  const config = loadServerConfig({ SWITCHBOARD_HOST: "127.0.0.1", SWITCHBOARD_PORT: "0", SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_LOG_LEVEL: process.env.TEST_LOGS ?? "silent", SWITCHBOARD_API_KEY: API_KEY, ...env }, undefined);
  const running = await startServer(config);
  const apiUrl = running.apiUrl.replace("localhost", "127.0.0.1");
  return {
    running,
    url: running.url.replace("localhost", "127.0.0.1"),
    apiUrl,
    async call(method, path, body, key = API_KEY) {
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
      const text = await response.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // Prometheus text and other non-JSON bodies are read from `text`.
      }
      return { status: response.status, body: parsed, text, headers: response.headers };
    },
    close: () => running.close(),
  };
}

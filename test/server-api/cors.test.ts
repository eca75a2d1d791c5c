import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ConfigError, loadServerConfig } from "../../src/config/server-config.js";
import { API_KEY, startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { launchBrowser } from "../support/browser.js";

const ADMIN = "https://admin.example.com";

/** A request as a browser on `origin` would send it (node's fetch lets a test set Origin). */
async function from(server: ApiServer, origin: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  const response = await fetch(`${server.apiUrl}${path}`, { method, headers: { origin, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  await response.arrayBuffer();
  return response;
}

const preflight = (server: ApiServer, origin: string, path: string, method = "POST"): Promise<Response> =>
  from(server, origin, "OPTIONS", path, { "access-control-request-method": method, "access-control-request-headers": "authorization,content-type" });

describe("CORS for /api/*", () => {
  describe("off by default", () => {
    let server: ApiServer;
    before(async () => {
      server = await startApiServer();
    });
    after(() => server.close());

    it("answers no preflight and sends no CORS headers", async () => {
      const answer = await preflight(server, ADMIN, "/api/publish");
      assert.equal(answer.status, 404);
      assert.equal(answer.headers.get("access-control-allow-origin"), null);
      const stats = await from(server, ADMIN, "GET", "/api/stats", { authorization: `Bearer ${API_KEY}` });
      assert.equal(stats.status, 200);
      assert.equal(stats.headers.get("access-control-allow-origin"), null);
    });
  });

  describe("with an allowlist", () => {
    let server: ApiServer;
    before(async () => {
      server = await startApiServer({ SWITCHBOARD_API_CORS_ORIGINS: `${ADMIN}, http://127.0.0.1:1` });
    });
    after(() => server.close());

    it("answers a preflight from a listed origin with the methods and headers the API takes", async () => {
      const answer = await preflight(server, ADMIN, "/api/publish");
      assert.equal(answer.status, 204);
      assert.equal(answer.headers.get("access-control-allow-origin"), ADMIN);
      assert.match(answer.headers.get("access-control-allow-methods") ?? "", /POST/);
      assert.match(answer.headers.get("access-control-allow-headers") ?? "", /Authorization/);
      assert.equal(answer.headers.get("access-control-max-age"), "600");
      assert.match(answer.headers.get("vary") ?? "", /Origin/);
      assert.equal(answer.headers.get("access-control-allow-credentials"), null, "keys are headers, never cookies");
      assert.equal((await preflight(server, ADMIN, "/api/rooms/chat%3Ageneral/history", "GET")).status, 204, "a path with a parameter");
    });

    it("lets the page read answers, errors included, and the OpenAPI document", async () => {
      const published = await from(server, ADMIN, "POST", "/api/publish", { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, { room: "cors:room", data: 1 });
      assert.equal(published.status, 200);
      assert.equal(published.headers.get("access-control-allow-origin"), ADMIN);
      assert.match(published.headers.get("access-control-expose-headers") ?? "", /Retry-After/);
      const refused = await from(server, ADMIN, "GET", "/api/stats");
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("access-control-allow-origin"), ADMIN);
      assert.equal((await from(server, ADMIN, "GET", "/api/openapi.json")).headers.get("access-control-allow-origin"), ADMIN);
      const controller = new AbortController();
      const stream = await fetch(`${server.apiUrl}/api/stats/stream`, { headers: { origin: ADMIN, authorization: `Bearer ${API_KEY}` }, signal: controller.signal });
      assert.equal(stream.headers.get("access-control-allow-origin"), ADMIN, "the event stream too");
      controller.abort();
    });

    it("gives another origin, and paths outside /api/, nothing", async () => {
      const other = await preflight(server, "https://evil.example", "/api/publish");
      assert.equal(other.status, 404);
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      assert.equal((await from(server, "https://evil.example", "GET", "/api/stats", { authorization: `Bearer ${API_KEY}` })).headers.get("access-control-allow-origin"), null);
      assert.equal((await preflight(server, ADMIN, "/health", "GET")).status, 404);
      assert.equal((await from(server, ADMIN, "GET", "/metrics")).headers.get("access-control-allow-origin"), null);
    });
  });

  it("refuses a setting that is not a list of origins, naming it", () => {
    for (const value of ["https://admin.example.com/", "admin.example.com", "https://admin.example.com/path"]) {
      assert.throws(() => loadServerConfig({ SWITCHBOARD_API_CORS_ORIGINS: value }, undefined), (error: Error) => error instanceof ConfigError && error.message.includes("SWITCHBOARD_API_CORS_ORIGINS"));
    }
  });

  it("lets a page in chromium on a listed origin call the API with its key, and blocks one on another origin", async () => {
    const page = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>admin</title>"));
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    const pagePort = (page.address() as AddressInfo).port;
    const server = await startApiServer({ SWITCHBOARD_API_CORS_ORIGINS: `http://127.0.0.1:${pagePort}` });
    const browser = await launchBrowser();
    try {
      const tab = await browser.page();
      const call = (origin: string): Promise<string> =>
        tab.goto(`${origin}/`).then(() =>
          tab.evaluate(
            async ([api, key]) => {
              try {
                const response = await fetch(`${api}/api/publish`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ room: "cors:browser", data: "hi" }) });
                return `${response.status} ${JSON.stringify(await response.json())}`;
              } catch (error) {
                return `blocked: ${String(error)}`;
              }
            },
            [server.apiUrl, API_KEY] as const,
          ),
        );
      assert.match(await call(`http://127.0.0.1:${pagePort}`), /^200 \{"offset"/);
      assert.match(await call(`http://localhost:${pagePort}`), /^blocked: TypeError/);
    } finally {
      await browser.close();
      await server.close();
      await new Promise<void>((resolve) => page.close(() => resolve()));
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jwtVerify } from "jose";
import { ConfigError, loadServerConfig } from "../../src/config/server-config.js";
import { TEST_SECRET } from "../support/tokens.js";
import { startWebServer } from "./web-server.js";

describe("web face serving", { timeout: 120_000 }, () => {
  it("serves the demo, the dashboard, their assets and the page settings", async () => {
    const server = await startWebServer();
    try {
      const demo = await fetch(`${server.httpUrl}/`);
      assert.equal(demo.status, 200);
      assert.match(demo.headers.get("content-type") ?? "", /text\/html/);
      assert.match(demo.headers.get("content-security-policy") ?? "", /default-src 'self'/);
      const html = await demo.text();
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script !== undefined, "the page loads a bundled script");
      const asset = await fetch(`${server.httpUrl}${script}`);
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get("cache-control") ?? "", /immutable/);

      for (const path of ["/dashboard", "/dashboard/"]) assert.match(await (await fetch(`${server.httpUrl}${path}`)).text(), /Switchboard dashboard/);
      const config = (await (await fetch(`${server.httpUrl}/web-config.json`)).json()) as Record<string, unknown>;
      assert.deepEqual(config, { wsPath: "/ws", auth: "anonymous", devTokens: false });
      assert.equal((await fetch(`${server.httpUrl}/assets/../../package.json`)).status, 404);
      assert.equal((await fetch(`${server.httpUrl}/web/dev-token`, { method: "POST" })).status, 404, "dev tokens are off by default");
    } finally {
      await server.close();
    }
  });

  it("SWITCHBOARD_WEB=off serves no pages", async () => {
    const server = await startWebServer({ SWITCHBOARD_WEB: "off" });
    try {
      assert.equal((await fetch(`${server.httpUrl}/`)).status, 404);
      assert.equal((await fetch(`${server.httpUrl}/dashboard`)).status, 404);
      assert.equal((await fetch(`${server.httpUrl}/health/live`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it("dev tokens: minted for a name, verified by the server's secret, refused without a secret or in production", async () => {
    const server = await startWebServer({ SWITCHBOARD_AUTH: "jwt", SWITCHBOARD_JWT_SECRET: TEST_SECRET, SWITCHBOARD_WEB_DEV_TOKENS: "on" });
    try {
      const config = (await (await fetch(`${server.httpUrl}/web-config.json`)).json()) as Record<string, unknown>;
      assert.equal(config.auth, "jwt");
      assert.equal(config.devTokens, true);
      const minted = await fetch(`${server.httpUrl}/web/dev-token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "grace" }) });
      assert.equal(minted.status, 200);
      const { token } = (await minted.json()) as { token: string };
      const { payload } = await jwtVerify(token, new TextEncoder().encode(TEST_SECRET));
      assert.equal(payload.sub, "grace");
      const bad = await fetch(`${server.httpUrl}/web/dev-token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "<script>" }) });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }
    assert.throws(() => loadServerConfig({ SWITCHBOARD_WEB_DEV_TOKENS: "on" }, undefined), (error: unknown) => error instanceof ConfigError && /SWITCHBOARD_JWT_SECRET/.test(error.message));
    assert.throws(
      () => loadServerConfig({ NODE_ENV: "production", SWITCHBOARD_JWT_SECRET: TEST_SECRET, SWITCHBOARD_WEB_DEV_TOKENS: "on" }, undefined),
      (error: unknown) => error instanceof ConfigError && /NODE_ENV=production/.test(error.message),
    );
    assert.equal(loadServerConfig({ SWITCHBOARD_WEB: "off" }, undefined).web, false);
  });
});

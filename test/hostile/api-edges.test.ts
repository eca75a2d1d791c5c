import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventProxy, httpConnectHook, httpJoinHook, WebhookDispatcher } from "switchboard";
import { ConfigError, loadServerConfig } from "../../src/config/server-config.js";
import { PROTECTION_DEFAULTS } from "switchboard";
import { Protection } from "../../src/protection/protection.js";
import { pino } from "pino";
import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";

/** Issue 16, finding 6: the server API's room names, the documented 414 and 1007, the header deadline, backend URL rules. */
describe("server API room names, as on the WebSocket path", () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer();
  });
  after(async () => {
    await server.close();
  });

  for (const [what, name] of [
    ["a traversal", "..%2F..%2Fetc"],
    ["a NUL", "room%00x"],
    ["unicode", "emoji%F0%9F%99%82"],
    ["a space", "has%20space"],
    ["129 characters", "x".repeat(129)],
  ] as const) {
    it(`GET /api/rooms/{room}/presence and /history refuse ${what} with 400 bad_request`, async () => {
      for (const path of [`/api/rooms/${name}/presence`, `/api/rooms/${name}/history`]) {
        const response = await server.call("GET", path);
        assert.equal(response.status, 400, `${path}: ${response.text}`);
        assert.equal((response.body.error as { code: string }).code, "bad_request");
      }
    });
  }

  it("serves every valid name, 128 characters included, and answers 414 only past 512", async () => {
    assert.equal((await server.call("GET", `/api/rooms/${"r".repeat(128)}/presence`)).status, 200);
    assert.equal((await server.call("GET", `/api/rooms/${"r".repeat(300)}/presence`)).status, 400);
    const tooLong = await server.call("GET", `/api/rooms/${"r".repeat(600)}/presence`);
    assert.equal(tooLong.status, 414);
    assert.equal((tooLong.body.error as { code: string }).code, "bad_request", "in the API's error format");
  });

  it("refuses a bad room name among /api/broadcast targets with 400", async () => {
    const response = await server.call("POST", "/api/broadcast", { rooms: ["fine", "not fine"], type: "notice", data: {} });
    assert.equal(response.status, 400);
    assert.equal((response.body.error as { code: string }).code, "bad_request");
  });

  it("closes a connection that sends a text frame of invalid UTF-8 with 1007", async () => {
    const client = await connect(server.url);
    // ws validates what it receives, not what it sends: these bytes reach the server as a text frame.
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await client.closed).code, 1007);
  });
});

describe("the header deadline", () => {
  it("cuts no later than the documented 10 s: Node's deadline plus its checking interval stays within it", () => {
    const options = new Protection(undefined, {}, pino({ level: "silent" })).httpServerOptions();
    assert.equal(PROTECTION_DEFAULTS.headersTimeoutMs, 10_000);
    assert.ok(options.headersTimeout + options.connectionsCheckingInterval <= 10_000, JSON.stringify(options));
    assert.ok(options.headersTimeout >= 9_000, JSON.stringify(options));
    const custom = new Protection({ headersTimeoutMs: 400, requestTimeoutMs: 2_000 }, {}, pino({ level: "silent" })).httpServerOptions();
    assert.ok(custom.headersTimeout + custom.connectionsCheckingInterval <= 400, JSON.stringify(custom));
  });

  it("answers a request whose headers never finish", async () => {
    const server = await startApiServer({ SWITCHBOARD_HEADERS_TIMEOUT_MS: "300", SWITCHBOARD_REQUEST_TIMEOUT_MS: "1000" });
    try {
      const { createConnection } = await import("node:net");
      const socket = createConnection(server.running.port, "127.0.0.1");
      socket.write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
      await new Promise((resolve) => socket.once("close", resolve));
      assert.match(answer, /^HTTP\/1\.1 408/);
    } finally {
      await server.close();
    }
  });
});

describe("backend URLs", () => {
  const secret = "integration-secret-0123456789";

  it("refuse link-local and cloud-metadata addresses unless allowed", () => {
    for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hook", "http://metadata.google.internal/computeMetadata/v1/", "http://100.100.100.200/", "http://[fd00:ec2::254]/", "https://169.254.10.1/"]) {
      assert.throws(() => new WebhookDispatcher({ url, secret }), /link-local or cloud-metadata/, url);
      assert.throws(() => httpJoinHook({ url, secret }), /link-local or cloud-metadata/, url);
    }
    assert.doesNotThrow(() => httpJoinHook({ url: "http://169.254.169.254/", secret, allowLinkLocal: true }));
  });

  it("require https off loopback when the calls carry user credentials", () => {
    assert.throws(() => httpConnectHook({ url: "http://auth.example.com/connect", secret }), /must be https/);
    assert.throws(() => eventProxy({ url: "http://10.0.0.5/events", events: ["*"], forwardToken: () => "t" }), /must be https/);
    for (const url of ["https://auth.example.com/connect", "http://127.0.0.1:9000/connect", "http://localhost:9000/connect", "http://[::1]:9000/connect"]) {
      assert.doesNotThrow(() => httpConnectHook({ url, secret }), url);
    }
    // No credentials in the calls: plain http to a private backend stays allowed.
    assert.doesNotThrow(() => eventProxy({ url: "http://10.0.0.5/events", events: ["*"] }));
    assert.doesNotThrow(() => new WebhookDispatcher({ url: "http://hooks.internal/events", secret }));
  });

  it("are checked when the server starts, naming the setting", () => {
    const base = { SWITCHBOARD_INTEGRATION_SECRET: secret };
    assert.throws(() => loadServerConfig({ ...base, SWITCHBOARD_CONNECT_HOOK_URL: "http://auth.example.com/connect" }, undefined), (error: unknown) => error instanceof ConfigError && /SWITCHBOARD_CONNECT_HOOK_URL.*https/.test(error.message));
    assert.throws(() => loadServerConfig({ ...base, SWITCHBOARD_WEBHOOK_URL: "http://169.254.169.254/" }, undefined), (error: unknown) => error instanceof ConfigError && /SWITCHBOARD_WEBHOOK_URL.*link-local/.test(error.message));
    assert.throws(
      () => loadServerConfig({ ...base, SWITCHBOARD_PROXY_URL: "http://api.example.com/", SWITCHBOARD_PROXY_EVENTS: "order.*", SWITCHBOARD_PROXY_FORWARD_TOKEN: "true" }, undefined),
      (error: unknown) => error instanceof ConfigError && /SWITCHBOARD_PROXY_URL.*https/.test(error.message),
    );
    assert.doesNotThrow(() => loadServerConfig({ ...base, SWITCHBOARD_WEBHOOK_URL: "http://169.254.169.254/", SWITCHBOARD_BACKEND_ALLOW_LINK_LOCAL: "true" }, undefined));
  });
});


import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { describe, it } from "node:test";
import { connect, upgradeStatus } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import type { RefusalReason } from "../../src/protection/observer.js";
import { bystander, headerAuth } from "./helpers.js";

async function withServer(options: Parameters<typeof startTestServer>[0], body: (server: TestServer, refusals: RefusalReason[]) => Promise<void>): Promise<void> {
  const refusals: RefusalReason[] = [];
  const server = await startTestServer({ auth: headerAuth, observer: { refused: (reason) => refusals.push(reason) }, ...options });
  try {
    await body(server, refusals);
  } finally {
    await server.close();
  }
}

/** Sends raw bytes on a new TCP connection and resolves with everything the server answers before closing. */
function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" || error.code === "EPIPE" ? resolve(answer) : reject(error)));
    socket.on("close", () => resolve(answer));
    socket.write(request);
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
}

const upgradeHeaders = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: 127.0.0.1\r\n";

describe("connection rate per IP", () => {
  it("answers upgrades over the per-IP limit with 429 before the upgrade; open connections are undisturbed", () =>
    withServer({ protection: { ipConnectionRate: { perSecond: 0.01, burst: 3 } } }, async (server, refusals) => {
      const served = await bystander(server);
      const statuses: number[] = [];
      for (let index = 0; index < 5; index++) statuses.push(await upgradeStatus(server.url));
      assert.deepEqual(statuses, [101, 101, 429, 429, 429]);
      assert.ok(refusals.includes("ip_rate"));
      await served.assertServed();
      await served.client.close();
    }));

  it("honours X-Forwarded-For only from a trusted proxy", () =>
    withServer({ protection: { ipConnectionRate: { perSecond: 0.01, burst: 1 }, trustedProxies: ["127.0.0.0/8"] } }, async (server) => {
      // Behind the trusted proxy (loopback), each forwarded client has its own budget.
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "203.0.113.7" } }), 101);
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "203.0.113.8" } }), 101);
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "203.0.113.7" } }), 429);
      // A spoofed left-most hop does not help: the right-most untrusted hop is the client.
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "198.51.100.1, 203.0.113.8" } }), 429);
      const client = await connect(server.url, { headers: { "x-forwarded-for": "203.0.113.9" } });
      const [view] = [...server.sb.connections()];
      assert.equal((view as { ip?: string } | undefined)?.ip, "203.0.113.9");
      await client.close();
      // A malformed hop ends the trust: everything left of it is ignored, the proxy itself is the client.
      const ipOf = async (forwarded: string): Promise<string | undefined> => {
        const probe = await connect(server.url, { headers: { "x-forwarded-for": forwarded } });
        const found = [...server.sb.connections()].find((candidate) => candidate.id === probe.connectionId) as { ip?: string } | undefined;
        await probe.close();
        return found?.ip;
      };
      assert.equal(await ipOf("203.0.113.10, not-an-ip"), "127.0.0.1");
      assert.equal(await ipOf("2001:db8::1"), "2001:db8::1");
    }));

  it("ignores X-Forwarded-For from an untrusted peer", () =>
    withServer({ protection: { ipConnectionRate: { perSecond: 0.01, burst: 1 } } }, async (server) => {
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "203.0.113.7" } }), 101);
      assert.equal(await upgradeStatus(server.url, { headers: { "x-forwarded-for": "203.0.113.8" } }), 429);
    }));
});

describe("caps", () => {
  it("answers 503 at the node's connection cap", () =>
    withServer({ protection: { maxConnections: 2 } }, async (server, refusals) => {
      const first = await connect(server.url);
      const second = await connect(server.url);
      assert.equal(await upgradeStatus(server.url), 503);
      assert.ok(refusals.includes("node_cap"));
      await first.close();
      assert.equal((await second.request({ type: "ping" })).type, "pong");
      await second.close();
    }));

  it('per user, "refuse" mode: the connection over the cap gets 409', () =>
    withServer({ protection: { maxConnectionsPerUser: 2 } }, async (server, refusals) => {
      const headers = { "x-test-user": "alice" };
      const first = await connect(server.url, { headers });
      const second = await connect(server.url, { headers });
      assert.equal(await upgradeStatus(server.url, { headers }), 409);
      assert.ok(refusals.includes("user_cap"));
      // Other users are not affected.
      assert.equal(await upgradeStatus(server.url, { headers: { "x-test-user": "bob" } }), 101);
      assert.equal((await first.request({ type: "ping" })).type, "pong");
      await Promise.all([first.close(), second.close()]);
    }));

  it('per user, "close_oldest" mode: the oldest connection closes with 4009', () =>
    withServer({ protection: { maxConnectionsPerUser: 2, userCapMode: "close_oldest" } }, async (server) => {
      const headers = { "x-test-user": "carol" };
      const oldest = await connect(server.url, { headers });
      const middle = await connect(server.url, { headers });
      const newest = await connect(server.url, { headers });
      assert.equal((await oldest.closed).code, 4009);
      assert.equal((await middle.request({ type: "ping" })).type, "pong");
      assert.equal((await newest.request({ type: "ping" })).type, "pong");
      await Promise.all([middle.close(), newest.close()]);
    }));
});

describe("handshake hygiene", () => {
  it("refuses an Origin outside the allowlist with 403 (exact match); no Origin passes by default", () =>
    withServer({ protection: { allowedOrigins: ["https://app.example.com"] } }, async (server, refusals) => {
      assert.equal(await upgradeStatus(server.url, { origin: "https://app.example.com" }), 101);
      assert.equal(await upgradeStatus(server.url, { origin: "https://evil.example.net" }), 403);
      assert.equal(await upgradeStatus(server.url, { origin: "https://app.example.com.evil.example.net" }), 403);
      assert.equal(await upgradeStatus(server.url, { origin: "http://app.example.com" }), 403);
      assert.equal(await upgradeStatus(server.url), 101);
      assert.ok(refusals.includes("origin"));
    }));

  it("refuses upgrades without Origin when allowMissingOrigin is false", () =>
    withServer({ protection: { allowedOrigins: ["https://app.example.com"], allowMissingOrigin: false } }, async (server) => {
      assert.equal(await upgradeStatus(server.url), 403);
      assert.equal(await upgradeStatus(server.url, { origin: "https://app.example.com" }), 101);
    }));

  it("answers thousands of headers or a 64 KiB Sec-WebSocket-Protocol with a 4xx, and keeps serving", () =>
    withServer({}, async (server) => {
      const served = await bystander(server);
      const manyHeaders = Array.from({ length: 5_000 }, (_, index) => `X-Filler-${index}: ${index}\r\n`).join("");
      const first = await rawExchange(server.port, `GET /ws HTTP/1.1\r\n${upgradeHeaders}${manyHeaders}\r\n`);
      assert.match(first, /^HTTP\/1\.1 4\d\d /);
      const second = await rawExchange(server.port, `GET /ws HTTP/1.1\r\n${upgradeHeaders}Sec-WebSocket-Protocol: ${"p,".repeat(32_768)}json\r\n\r\n`);
      assert.match(second, /^HTTP\/1\.1 4\d\d /);
      await served.assertServed();
      await served.client.close();
    }));

  it("closes a connection that never finishes its headers (slow loris)", () =>
    withServer({ protection: { headersTimeoutMs: 300, requestTimeoutMs: 600 } }, async (server) => {
      // Starts a request and never ends its headers; the server must hang up on its own.
      const socket = tcpConnect(server.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(`GET /ws HTTP/1.1\r\n${upgradeHeaders}X-Slow: 1\r\n`);
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
      const hungUp = await new Promise<boolean>((resolve) => {
        const deadline = setTimeout(() => resolve(false), 10_000);
        socket.on("close", () => {
          clearTimeout(deadline);
          resolve(true);
        });
      });
      socket.destroy();
      assert.ok(hungUp, "the server closed the half-sent request");
      assert.ok(answer === "" || answer.startsWith("HTTP/1.1 408 "), answer);
    }));
});

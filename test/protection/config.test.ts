import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { ConfigError, loadServerConfig } from "../../src/config/server-config.js";
import { optionsFromConfig } from "../../src/config/switchboard-options.js";
import { readFileSync } from "node:fs";
import { PROTECTION_ENVIRONMENT_VARIABLES } from "../../src/protection/protection-config.js";
import { PROTECTION_DEFAULTS } from "../../src/protection/protection-options.js";
import { createSwitchboard } from "switchboard";
import { upgradeStatus } from "../support/client.js";
import { startServerProcess } from "../support/process.js";

const silent = pino({ level: "silent" });

describe("protection settings", () => {
  it("maps SWITCHBOARD_* settings to protection options", () => {
    const config = loadServerConfig(
      {
        SWITCHBOARD_ALLOWED_ORIGINS: "https://a.example.com, https://b.example.com",
        SWITCHBOARD_ALLOW_MISSING_ORIGIN: "false",
        SWITCHBOARD_TRUSTED_PROXIES: "10.0.0.0/8,127.0.0.1",
        SWITCHBOARD_RATE_LIMIT_PER_SECOND: "50",
        SWITCHBOARD_RATE_LIMIT_CLOSE_AFTER: "20",
        SWITCHBOARD_IP_CONNECTIONS_PER_SECOND: "5",
        SWITCHBOARD_IP_CONNECTIONS_BURST: "10",
        SWITCHBOARD_MAX_CONNECTIONS: "1000",
        SWITCHBOARD_MAX_CONNECTIONS_PER_USER: "3",
        SWITCHBOARD_USER_CAP_MODE: "close_oldest",
        SWITCHBOARD_MAX_ROOMS_PER_CONNECTION: "10",
        SWITCHBOARD_JOINS_PER_MINUTE: "30",
        SWITCHBOARD_MAX_BUFFERED_BYTES: "262144",
        SWITCHBOARD_COMPRESSION: "true",
        SWITCHBOARD_HEADERS_TIMEOUT_MS: "5000",
        SWITCHBOARD_REQUEST_TIMEOUT_MS: "20000",
      },
      undefined,
    );
    const options = optionsFromConfig(config, silent);
    assert.deepEqual(options.protection, {
      allowedOrigins: ["https://a.example.com", "https://b.example.com"],
      allowMissingOrigin: false,
      trustedProxies: ["10.0.0.0/8", "127.0.0.1"],
      frameRate: { perSecond: 50, burst: 200 },
      ipConnectionRate: { perSecond: 5, burst: 10 },
      rateLimitCloseAfter: 20,
      maxConnections: 1000,
      maxConnectionsPerUser: 3,
      userCapMode: "close_oldest",
      maxRoomsPerConnection: 10,
      joinsPerMinute: 30,
      maxBufferedBytes: 262_144,
      compression: true,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 20000,
    });
    // The library accepts what the config produced.
    const sb = createSwitchboard({ ...options, auth: { anonymous: true } });
    assert.equal(sb.protection.settings.userCapMode, "close_oldest");
    return sb.close();
  });

  it("docs/protection.md documents every protection setting and option", () => {
    const doc = readFileSync(new URL("../../docs/protection.md", import.meta.url), "utf8");
    for (const names of Object.values(PROTECTION_ENVIRONMENT_VARIABLES)) for (const name of names) assert.ok(doc.includes(name), name);
    for (const option of Object.keys(PROTECTION_DEFAULTS)) assert.ok(doc.includes(`protection.${option}`), `protection.${option}`);
  });

  it("names the setting in validation errors", () => {
    const bad: Record<string, string> = {
      SWITCHBOARD_USER_CAP_MODE: "kick",
      SWITCHBOARD_MAX_CONNECTIONS: "-1",
      SWITCHBOARD_RATE_LIMIT_BURST: "0",
      SWITCHBOARD_JOINS_PER_MINUTE: "many",
    };
    for (const [name, value] of Object.entries(bad)) {
      assert.throws(() => loadServerConfig({ [name]: value }, undefined), (error: unknown) => error instanceof ConfigError && error.message.includes(name), name);
    }
    assert.throws(
      () => loadServerConfig({ SWITCHBOARD_HEADERS_TIMEOUT_MS: "9000", SWITCHBOARD_REQUEST_TIMEOUT_MS: "1000" }, undefined),
      (error: unknown) => error instanceof ConfigError && error.message.includes("SWITCHBOARD_HEADERS_TIMEOUT_MS"),
    );
  });

  it("library options are validated with messages naming the option", () => {
    const cases: Array<[object, string]> = [
      [{ frameRate: { perSecond: -1, burst: 1 } }, "protection.frameRate.perSecond"],
      [{ allowedOrigins: ["https://app.example.com/"] }, "protection.allowedOrigins"],
      [{ trustedProxies: ["not-an-ip"] }, "protection.trustedProxies"],
      [{ userCapMode: "kick" }, "protection.userCapMode"],
      [{ maxBufferedBytes: 1.5 }, "protection.maxBufferedBytes"],
    ];
    for (const [protection, name] of cases) {
      assert.throws(() => createSwitchboard({ auth: { anonymous: true }, protection: protection as never }), (error: unknown) => error instanceof TypeError && error.message.includes(name), name);
    }
  });

  it("the standalone server enforces SWITCHBOARD_ALLOWED_ORIGINS with 403", async () => {
    const server = await startServerProcess({ SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_ALLOWED_ORIGINS: "https://app.example.com" });
    try {
      assert.equal(await upgradeStatus(server.url, { origin: "https://app.example.com" }), 101);
      assert.equal(await upgradeStatus(server.url, { origin: "https://evil.example.net" }), 403);
    } finally {
      await server.stop();
    }
  });
});

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { SignJWT, exportJWK } from "jose";
import { pino } from "pino";
import type { Logger } from "pino";
import { upgradeStatus } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";
import { bystander } from "./helpers.js";

/** A logger whose every line lands in `lines`, at the most verbose level. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  // No redaction configured here: the server itself must never put a token in a log line.
  return { logger: pino({ level: "trace" }, sink), lines };
}

describe("JWT matrix and log hygiene", () => {
  it("accepts none of: future nbf, an 8 KiB token, alg none, an HS token signed with the RS public key; and never logs a token", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const { logger, lines } = capturingLogger();
    const server = await startTestServer({ auth: { jwt: { publicKey: publicPem } }, logger });
    const hsServer = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } }, logger });
    try {
      const valid = await new SignJWT({ sub: "rs-user" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime("5m").sign(privateKey);
      const tokens: Record<string, string> = {
        "future nbf": await new SignJWT({ sub: "rs-user" }).setProtectedHeader({ alg: "RS256" }).setNotBefore("10m").setExpirationTime("20m").sign(privateKey),
        "8 KiB token": await new SignJWT({ sub: "rs-user", pad: "p".repeat(8_192) }).setProtectedHeader({ alg: "RS256" }).setExpirationTime("5m").sign(privateKey),
        "HS signed with the public key": await new SignJWT({ sub: "attacker" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(publicPem)),
        "alg none": `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "x", exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url")}.`,
      };
      const served = await bystander({ ...server, url: `${server.url}?token=${valid}` } as typeof server);
      for (const [name, token] of Object.entries(tokens)) {
        assert.equal(await upgradeStatus(`${server.url}?token=${token}`), 401, `${name} (query)`);
        assert.equal(await upgradeStatus(server.url, { headers: { Authorization: `Bearer ${token}` } }), 401, `${name} (header)`);
      }
      assert.equal(await upgradeStatus(hsServer.url, { headers: { Authorization: `Bearer ${await mintToken({ sub: "u" }, { expiresIn: "5m", secret: "a-different-secret-0123456789" })}` } }), 401);
      await served.assertServed();
      await served.client.close();
      const logged = lines.join("");
      assert.ok(logged.includes("upgrade refused"), "refusals are logged");
      for (const token of [valid, ...Object.values(tokens)]) assert.ok(!logged.includes(token.slice(-20)), "no token (or its signature) in the logs");
      assert.ok(!/bearer\s+ey/i.test(logged), "no Authorization value in the logs");
    } finally {
      await Promise.all([server.close(), hsServer.close()]);
    }
  });

  it("refuses a token whose kid is not in the JWKS", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(publicKey)), kid: "known", alg: "RS256", use: "sig" };
    const jwks = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const server = await startTestServer({ auth: { jwt: { jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json` } } });
    try {
      const sign = (kid: string): Promise<string> => new SignJWT({ sub: "k-user" }).setProtectedHeader({ alg: "RS256", kid }).setExpirationTime("5m").sign(privateKey);
      assert.equal(await upgradeStatus(`${server.url}?token=${await sign("known")}`), 101);
      assert.equal(await upgradeStatus(`${server.url}?token=${await sign("unknown")}`), 401);
    } finally {
      await server.close();
      jwks.closeAllConnections();
      await new Promise((resolve) => jwks.close(resolve));
    }
  });
});

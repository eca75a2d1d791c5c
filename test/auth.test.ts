import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { connect, upgradeStatus } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { TEST_SECRET, mintToken } from "./support/tokens.js";

function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

describe("JWT auth (HS256)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET, audience: "switchboard", issuer: "https://auth.switchboard.test", clockToleranceSec: 0 } } });
  });
  after(() => server.close());

  const valid = (claims: Record<string, unknown> = { sub: "alice", role: "admin" }, options: Parameters<typeof mintToken>[1] = {}): Promise<string> =>
    mintToken(claims, { expiresIn: "1h", audience: "switchboard", issuer: "https://auth.switchboard.test", ...options });

  it("accepts a valid token from ?token= and exposes user id and claims", async () => {
    server.sb.handle("whoami", (ctx) => ({ userId: ctx.userId, role: ctx.claims.role }));
    const client = await connect(`${server.url}?token=${await valid()}`);
    assert.equal((client.welcome!.data as { userId: string }).userId, "alice");
    assert.deepEqual(await client.ok({ type: "whoami" }), { userId: "alice", role: "admin" });
    await client.close();
  });

  it("accepts a token in the Authorization header", async () => {
    const client = await connect(server.url, { headers: { Authorization: `Bearer ${await valid()}` } });
    assert.equal((client.welcome!.data as { userId: string }).userId, "alice");
    await client.close();
  });

  it("accepts a token in Sec-WebSocket-Protocol and selects the JSON protocol", async () => {
    const client = await connect(server.url, { protocols: ["switchboard.v1.json", `bearer.${await valid()}`] });
    assert.equal(client.ws.protocol, "switchboard.v1.json");
    assert.equal((client.welcome!.data as { userId: string }).userId, "alice");
    await client.close();
  });

  it("refuses with 401 before the upgrade: missing, expired, wrong signature, alg none, wrong audience, wrong issuer, no exp", async () => {
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      expired: await valid({ sub: "alice" }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
      "wrong signature": await valid({ sub: "alice" }, { secret: "another-secret-0123456789abcdef" }),
      "alg none": unsignedToken({ sub: "alice", exp: Math.floor(Date.now() / 1000) + 3600, aud: "switchboard", iss: "https://auth.switchboard.test" }),
      "wrong audience": await valid({ sub: "alice" }, { audience: "someone-else" }),
      "wrong issuer": await valid({ sub: "alice" }, { issuer: "https://evil.test" }),
      "no exp": await new SignJWT({ sub: "alice", aud: "switchboard", iss: "https://auth.switchboard.test" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(TEST_SECRET)),
      garbage: "not.a.token",
    };
    for (const [name, token] of Object.entries(cases)) {
      const status = await upgradeStatus(token === undefined ? server.url : `${server.url}?token=${token}`);
      assert.equal(status, 401, name);
    }
  });

  it("closes a connection with 4001 when its token expires", async () => {
    const token = await valid({ sub: "alice" }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    const client = await connect(`${server.url}?token=${token}`);
    const closed = await client.closed;
    assert.equal(closed.code, 4001);
  });

  it("keeps a connection open when a fresh token arrives in time, and refuses another user's token", async () => {
    const short = await valid({ sub: "alice" }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    const client = await connect(`${server.url}?token=${short}`);
    const otherUser = await client.request({ type: "auth", token: await valid({ sub: "mallory" }) });
    assert.equal((otherUser.error as { code: string }).code, "forbidden");
    const bad = await client.request({ type: "auth", token: "nope" });
    assert.equal((bad.error as { code: string }).code, "unauthorized");
    const refreshed = await client.ok({ type: "auth", token: await valid({ sub: "alice" }) });
    assert.ok((refreshed.expiresAt as number) > Date.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(client.ws.readyState, 1);
    const joined = await client.ok({ type: "join", room: "still:here" });
    assert.deepEqual(joined.presence, { count: 1, mode: "list", entries: [{ connectionId: client.connectionId, userId: "alice" }], cursor: null });
    await client.close();
  });
});

describe("JWT auth (public keys)", () => {
  it("verifies RS256 with a PEM public key and refuses an HS256 token signed with that key as secret", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const server = await startTestServer({ auth: { jwt: { publicKey: publicPem } } });
    try {
      const exp = Math.floor(Date.now() / 1000) + 600;
      const good = await new SignJWT({ sub: "rsa-user" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime(exp).sign(privateKey);
      const client = await connect(`${server.url}?token=${good}`);
      assert.equal((client.welcome!.data as { userId: string }).userId, "rsa-user");
      await client.close();
      const confused = await new SignJWT({ sub: "attacker" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(exp).sign(new TextEncoder().encode(publicPem));
      assert.equal(await upgradeStatus(`${server.url}?token=${confused}`), 401);
    } finally {
      await server.close();
    }
  });

  it("verifies ES256", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const server = await startTestServer({ auth: { jwt: { publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() } } });
    try {
      const token = await new SignJWT({ sub: "ec-user" }).setProtectedHeader({ alg: "ES256" }).setExpirationTime("5m").sign(privateKey);
      const client = await connect(`${server.url}?token=${token}`);
      assert.equal((client.welcome!.data as { userId: string }).userId, "ec-user");
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe("custom authenticate hook", () => {
  it("uses the hook's identity and refuses with 401 when it returns null", async () => {
    const server = await startTestServer({
      auth: { authenticate: (request) => (request.headers["x-session"] === "s3cret" ? { userId: "session-user", claims: { plan: "pro" } } : null) },
    });
    try {
      const client = await connect(server.url, { headers: { "x-session": "s3cret" } });
      assert.equal((client.welcome!.data as { userId: string }).userId, "session-user");
      await client.close();
      assert.equal(await upgradeStatus(server.url, { headers: { "x-session": "wrong" } }), 401);
    } finally {
      await server.close();
    }
  });
});

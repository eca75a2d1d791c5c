import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { createSwitchboard } from "switchboard";
import type { SwitchboardOptions } from "switchboard";
import { connect, upgradeStatus } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import { TEST_SECRET, mintToken } from "./support/tokens.js";

describe("optional auth: jwt beside anonymous: true", () => {
  it("verifies a token when one is given and connects anonymously without one", async () => {
    const server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET }, anonymous: true } });
    try {
      server.sb.handle("whoami", (ctx) => ({ userId: ctx.userId }));
      const withToken = await connect(`${server.url}?token=${await mintToken({ sub: "alice" }, { expiresIn: "1h" })}`);
      assert.deepEqual(await withToken.ok({ type: "whoami" }), { userId: "alice" });
      const without = await connect(server.url);
      assert.equal((without.welcome!.data as { userId: string | null }).userId, null);
      assert.deepEqual(await without.ok({ type: "whoami" }), { userId: null });
      // A token that is given must still be valid: optional is not "anything goes".
      assert.equal(await upgradeStatus(`${server.url}?token=not.a.token`), 401);
      assert.equal(await upgradeStatus(`${server.url}?token=${await mintToken({ sub: "alice" }, { expiresIn: "1h", secret: "another-secret-0123456789abcdef" })}`), 401);
      await withToken.close();
      await without.close();
    } finally {
      await server.close();
    }
  });

  it("without anonymous: true, a missing token is still refused with 401", async () => {
    const server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } } });
    try {
      assert.equal(await upgradeStatus(server.url), 401);
    } finally {
      await server.close();
    }
  });
});

describe("numeric sub", () => {
  it("accepts a numeric sub and exposes it as a string", async () => {
    const server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } } });
    try {
      server.sb.handle("whoami", (ctx) => ({ userId: ctx.userId, sub: ctx.claims.sub }));
      const token = await new SignJWT({ sub: 123 } as unknown as Record<string, unknown>).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(TEST_SECRET));
      const client = await connect(`${server.url}?token=${token}`);
      assert.equal((client.welcome!.data as { userId: string }).userId, "123");
      assert.deepEqual(await client.ok({ type: "whoami" }), { userId: "123", sub: 123 });
      // It is the same user as a string "123" sub: user rooms and presence agree.
      await client.ok({ type: "join", room: "user:123" });
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe("auth options are validated like the config: a TypeError naming the option", () => {
  const cases: Array<[string, SwitchboardOptions["auth"], RegExp]> = [
    ["short secret", { jwt: { secret: "too-short" } }, /"auth\.jwt\.secret" must be a string of at least 16 characters, got 9/],
    ["two keys", { jwt: { secret: TEST_SECRET, jwksUrl: "https://auth.test/jwks" } }, /"auth\.jwt" needs exactly one of/],
    ["no key", { jwt: {} }, /"auth\.jwt" needs exactly one of .* got none/],
    ["bad public key", { jwt: { publicKey: "not a pem" } }, /"auth\.jwt\.publicKey"/],
    ["bad JWKS URL", { jwt: { jwksUrl: "ftp://auth.test/jwks" } }, /"auth\.jwt\.jwksUrl" must be an http\(s\) URL/],
    ["negative clock tolerance", { jwt: { secret: TEST_SECRET, clockToleranceSec: -1 } }, /"auth\.jwt\.clockToleranceSec"/],
    ["empty audience", { jwt: { secret: TEST_SECRET, audience: "" } }, /"auth\.jwt\.audience"/],
    ["fractional max token length", { jwt: { secret: TEST_SECRET, maxTokenLength: 1.5 } }, /"auth\.jwt\.maxTokenLength"/],
    ["anonymous not a boolean", { anonymous: "yes" as unknown as boolean }, /"auth\.anonymous" must be a boolean/],
    ["authenticate not a function", { authenticate: "nope" as never }, /"auth\.authenticate" must be a function/],
  ];
  for (const [name, auth, message] of cases) {
    it(name, () => {
      assert.throws(() => createSwitchboard({ auth }), (error: unknown) => error instanceof TypeError && message.test(error.message));
    });
  }

  it("never echoes a secret in the message", () => {
    assert.throws(() => createSwitchboard({ auth: { jwt: { secret: "hunter2-secret" } } }), (error: unknown) => error instanceof TypeError && !error.message.includes("hunter2"));
  });
});

describe("other library options are validated the same way", () => {
  it("multipleRooms, canJoin and canPublish", () => {
    assert.throws(() => createSwitchboard({ auth: { anonymous: true }, multipleRooms: "no" as unknown as boolean }), (error: unknown) => error instanceof TypeError && error.message.includes('"multipleRooms"'));
    assert.throws(() => createSwitchboard({ auth: { anonymous: true }, canJoin: true as never }), (error: unknown) => error instanceof TypeError && error.message.includes('"canJoin"'));
    assert.throws(() => createSwitchboard({ auth: { anonymous: true }, canPublish: "x" as never }), (error: unknown) => error instanceof TypeError && error.message.includes('"canPublish"'));
  });
});

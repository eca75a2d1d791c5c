import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { TEST_SECRET, mintToken } from "../support/tokens.js";
import { waitFor } from "../support/wait.js";
import { FAST_RECONNECT, StateLog, connected } from "./support.js";

describe("client tokens", () => {
  let server: TestServer;
  const clients: SwitchboardClient[] = [];

  before(async () => {
    server = await startTestServer({ auth: { jwt: { secret: TEST_SECRET } } });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  /** A provider of short-lived tokens for `user` that counts its calls. */
  function shortLivedTokens(user: string): { provider: () => Promise<string>; calls: () => number; first: () => string } {
    const minted: string[] = [];
    return {
      provider: async () => {
        const token = await mintToken({ sub: user }, { expiresIn: "2s" });
        minted.push(token);
        return token;
      },
      calls: () => minted.length,
      first: () => minted[0]!,
    };
  }

  it("sends a fresh token in an auth frame before exp, keeping the same connection", async () => {
    const tokens = shortLivedTokens("alice");
    const client = connect(server.url, { token: tokens.provider, reconnect: FAST_RECONNECT });
    clients.push(client);
    const log = new StateLog(client);
    await connected(client);
    assert.equal(client.welcome!.userId, "alice");
    const connectionId = client.welcome!.connectionId;
    // Past the first token's exp the server would have closed with 4001 without a refresh.
    const firstExpiry = (JSON.parse(Buffer.from(tokens.first().split(".")[1]!, "base64url").toString()) as { exp: number }).exp * 1000;
    await waitFor(() => Date.now() > firstExpiry + 500 && tokens.calls() >= 2, "the first token's expiry", 10_000);
    assert.equal(client.state, "connected");
    assert.equal(client.welcome!.connectionId, connectionId);
    assert.deepEqual(log.states(), ["connected"]);
    assert.deepEqual(await client.join("chat:tokens").then((room) => room.name), "chat:tokens");
  });

  it("on 4001 asks the provider for a new token and reconnects at once, rejoining its rooms", async () => {
    const tokens = shortLivedTokens("bob");
    const client = connect(server.url, { token: tokens.provider, reconnect: FAST_RECONNECT, refreshBeforeExpiryMs: false });
    clients.push(client);
    const log = new StateLog(client);
    const room = await client.join("chat:expiry");
    const firstConnection = client.welcome!.connectionId;
    const reconnecting = await log.wait("reconnecting");
    assert.equal(reconnecting.info.code, 4001);
    assert.equal(reconnecting.info.delayMs, 0);
    await log.wait("connected", reconnecting.index);
    assert.equal(tokens.calls(), 2);
    assert.equal(client.welcome!.userId, "bob");
    assert.notEqual(client.welcome!.connectionId, firstConnection);
    // The rejoined room still delivers.
    const received = new Promise((resolve) => room.on("message", (data) => resolve(data)));
    await server.sb.publish("chat:expiry", { text: "still here" });
    assert.deepEqual(await received, { text: "still here" });
  });

  it("closes with 4001 when the token is a plain string that cannot be refreshed", async () => {
    const client = connect(server.url, { token: await mintToken({ sub: "carol" }, { expiresIn: "1s" }), reconnect: FAST_RECONNECT });
    clients.push(client);
    const log = new StateLog(client);
    const closed = await log.wait("closed");
    assert.equal(closed.info.code, 4001);
    assert.deepEqual(log.states(), ["connected", "closed"]);
  });
});

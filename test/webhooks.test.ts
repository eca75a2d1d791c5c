import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebhookDispatcher, verifyRequest } from "switchboard";
import type { WebhookBatch } from "switchboard";
import { connect } from "./support/client.js";
import { TestBackend } from "./support/http-backend.js";
import { freePort } from "./support/process.js";
import { startTestServer } from "./support/server.js";

const SECRET = "webhook-secret";

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("webhooks", () => {
  it("sends connect, join, leave and disconnect in signed batches, retrying failed ones", async () => {
    let failuresLeft = 2;
    const backend = await new TestBackend(() => (failuresLeft-- > 0 ? { status: 500 } : { status: 204 })).start();
    const server = await startTestServer();
    const webhooks = new WebhookDispatcher({ url: backend.url, secret: SECRET, maxBatch: 3, flushIntervalMs: 50, retryDelayMs: 10 }).attach(server.sb);
    try {
      const first = await connect(server.url);
      const second = await connect(server.url);
      await first.ok({ type: "join", room: "lobby" });
      await first.ok({ type: "leave", room: "lobby" });
      await first.close();
      await second.close();
      // connect ×2, join, leave, disconnect ×2
      await waitFor(() => webhooks.counters.sent === 6, "six events delivered");
      const accepted = backend.requests.slice(2);
      const events = accepted.flatMap((request) => (request.body as unknown as WebhookBatch).events);
      assert.deepEqual(events.map((event) => event.type).sort(), ["connect", "connect", "disconnect", "disconnect", "join", "leave"]);
      assert.ok(accepted.every((request) => (request.body as unknown as WebhookBatch).events.length <= 3), "batches hold at most maxBatch events");
      assert.ok(accepted.every((request) => verifyRequest(SECRET, request.headers, request.raw)));
      assert.equal(events.find((event) => event.type === "join")?.room, "lobby");
      assert.equal(events.find((event) => event.type === "disconnect")?.code, 1000);
      const firstKey = backend.requests[0]!.headers["idempotency-key"];
      assert.equal(backend.requests.filter((request) => request.headers["idempotency-key"] === firstKey).length, 3, "one batch, tried three times");
      assert.equal(webhooks.counters.failedAttempts, 2);
      assert.equal(webhooks.health().ok, true);
    } finally {
      await webhooks.close();
      await server.close();
      await backend.close();
    }
  });

  it("keeps a bounded queue while the endpoint is down and never delays the WebSocket path", async () => {
    const deadPort = await freePort();
    const server = await startTestServer();
    const webhooks = new WebhookDispatcher({ url: `http://127.0.0.1:${deadPort}/hooks`, maxQueue: 5, maxBatch: 2, flushIntervalMs: 10, maxRetries: 1, retryDelayMs: 10 }).attach(server.sb);
    try {
      for (let index = 0; index < 4; index++) {
        const client = await connect(server.url);
        await client.ok({ type: "join", room: `room:${index}` });
        await client.close();
      }
      for (let index = 0; index < 20; index++) webhooks.push({ type: "connect", ts: Date.now(), node: server.sb.node, connectionId: `c${index}`, userId: null });
      assert.ok(webhooks.queued <= 5);
      await waitFor(() => webhooks.health().ok === false, "health to report the failing endpoint");
      assert.match(webhooks.health().detail ?? "", /webhook endpoint failing/);
      assert.ok(webhooks.counters.dropped >= 15);
    } finally {
      await webhooks.close(500);
      await server.close();
    }
  });
});

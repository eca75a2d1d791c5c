import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import WebSocket from "ws";
import { startMarketExample } from "../examples/market-adapter.js";

// The seed's service listened on 4001 and its clients have that URL written in; so does its test.
const { server, sb } = await startMarketExample(4001, "localhost");

// The seed's own test file, as written in the seed, with jest's globals on node's runner. The
// specifiers are built at run time so that the project's type check does not pull the seed's
// jest globals into every file: test/fixtures/seed-004/tsconfig.json checks that folder alone.
const seedFolder = "./fixtures/seed-004/";
await import(`${seedFolder}jest-globals.js`);
await import(`${seedFolder}websocket.seed.js`);

/** A raw client of the seed's protocol, collecting every message. */
async function marketClient(): Promise<{ ws: WebSocket; next(type: string): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket("ws://localhost:4001");
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (message: Record<string, unknown>) => void }> = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index === -1) messages.push(message);
    else waiters.splice(index, 1)[0]!.resolve(message);
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return {
    ws,
    next(type) {
      const index = messages.findIndex((message) => message.type === type);
      if (index !== -1) return Promise.resolve(messages.splice(index, 1)[0]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} message`)), 5_000);
        waiters.push({ type, resolve: (message) => (clearTimeout(timer), resolve(message)) });
      });
    },
  };
}

describe("the seed-004 market adapter", () => {
  after(async () => {
    await sb.close();
    server.close();
  });

  it("delivers server publications as the service's events, and unsubscribes", async () => {
    const client = await marketClient();
    assert.match(String(((await client.next("welcome")).data as { client_id: string }).client_id), /^client_\d+_[0-9a-f]+$/);
    client.ws.send(JSON.stringify({ action: "subscribe", market_id: "market-456" }));
    await client.next("market_state");
    await sb.publish("market:market-456", { trade_type: "buy", outcome: true, shares: "10" }, { event: "trade" });
    const trade = await client.next("trade");
    assert.equal(trade.market_id, "market-456");
    assert.deepEqual(trade.data, { trade_type: "buy", outcome: true, shares: "10" });
    assert.match(String(trade.timestamp), /^\d{4}-\d\d-\d\dT/);
    client.ws.send(JSON.stringify({ action: "unsubscribe", market_id: "market-456" }));
    assert.deepEqual(((await client.next("market_state")).data as { subscriptions: string[] }).subscriptions, []);
    client.ws.close();
  });

  it("answers bad messages with the service's errors in data.error", async () => {
    const client = await marketClient();
    await client.next("welcome");
    client.ws.send("not json");
    assert.deepEqual((await client.next("error")).data, { error: "Invalid message format" });
    client.ws.send(JSON.stringify({ action: "subscribe" }));
    assert.deepEqual((await client.next("error")).data, { error: "market_id required for subscribe action" });
    client.ws.send(JSON.stringify({ action: "sell" }));
    assert.deepEqual((await client.next("error")).data, { error: "Unknown action: sell" });
    client.ws.close();
  });
});

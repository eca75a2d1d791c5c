import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { bystander, headerAuth } from "./helpers.js";

describe("frame size", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: headerAuth, maxPayload: 4_096 });
  });
  after(() => server.close());

  it("closes a connection that sends a frame over maxPayload with 1009; a bystander keeps being served", async () => {
    const served = await bystander(server);
    const attacker = await connect(server.url);
    attacker.send(JSON.stringify({ type: "ping", pad: "x".repeat(8_192) }));
    assert.equal((await attacker.closed).code, 1009);
    await served.assertServed();
    await served.client.close();
  });

  it("bounds the decompressed size when compression is on", async () => {
    const compressed = await startTestServer({ auth: headerAuth, maxPayload: 4_096, protection: { compression: true } });
    try {
      const attacker = await connect(compressed.url, { perMessageDeflate: true });
      // 1 MiB of zeros compresses to about 1 KiB on the wire: the inflated size is what counts.
      attacker.send(JSON.stringify({ type: "ping", pad: "0".repeat(1_048_576) }));
      assert.equal((await attacker.closed).code, 1009);
    } finally {
      await compressed.close();
    }
  });
});

describe("message rate per connection", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: headerAuth, protection: { frameRate: { perSecond: 20, burst: 20 }, rateLimitCloseAfter: 50 } });
    server.sb.limit("expensive", { perSecond: 1, burst: 2 });
    server.sb.handle("expensive", () => ({ done: true }));
  });
  after(() => server.close());

  it("answers frames over the limit with rate_limited, then closes sustained abuse with 1008; a bystander keeps being served", async () => {
    const served = await bystander(server);
    const attacker = await connect(server.url);
    const ids: number[] = [];
    // A bounded flood: far over the burst, sent at once.
    for (let id = 1; id <= 300 && attacker.ws.readyState === 1; id++) {
      ids.push(id);
      attacker.send({ type: "ping", id });
    }
    const limited = await attacker.next((frame) => frame.type === "reply" && frame.ok === false, 5_000);
    assert.equal((limited.error as { code: string }).code, "rate_limited");
    assert.ok(typeof limited.id === "number" && ids.includes(limited.id), "the rate_limited reply names the refused frame");
    assert.equal((await attacker.closed).code, 1008);
    await served.assertServed();
    await served.client.close();
  });

  it("applies a handler's own stricter limit", async () => {
    const client = await connect(server.url);
    const replies = [];
    for (let index = 0; index < 4; index++) replies.push(await client.request({ type: "expensive" }));
    assert.deepEqual(replies.slice(0, 2).map((reply) => reply.ok), [true, true]);
    assert.equal((replies[3]!.error as { code: string }).code, "rate_limited");
    // Other frames are not held back by the handler's limit.
    assert.equal((await client.request({ type: "ping" })).type, "pong");
    await client.close();
  });
});

describe("rooms per connection and joins per minute", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: headerAuth, protection: { maxRoomsPerConnection: 3, joinsPerMinute: 5 } });
  });
  after(() => server.close());

  it("refuses a join over the rooms cap with conflict", async () => {
    const client = await connect(server.url);
    for (const room of ["a:1", "a:2", "a:3"]) await client.ok({ type: "join", room });
    const refused = await client.request({ type: "join", room: "a:4" });
    assert.equal((refused.error as { code: string }).code, "conflict");
    // Re-joining a room it is already in is not a new room.
    assert.equal((await client.request({ type: "join", room: "a:1" })).ok, true);
    await client.close();
  });

  it("refuses joins over the per-minute rate with rate_limited", async () => {
    const client = await connect(server.url);
    const codes: string[] = [];
    for (let index = 0; index < 6; index++) {
      const room = `b:${index}`;
      const reply = await client.request({ type: "join", room });
      codes.push(reply.ok === true ? "ok" : (reply.error as { code: string }).code);
      if (reply.ok === true) await client.ok({ type: "leave", room });
    }
    assert.deepEqual(codes, ["ok", "ok", "ok", "ok", "ok", "rate_limited"]);
    await client.close();
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { createServerApi, createSwitchboard } from "switchboard";
import type { Codec, Switchboard } from "switchboard";
import { MAX_DATA_DEPTH } from "../../src/protocol/payload-limits.js";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { MsgpackClient, nested } from "./msgpack-client.js";

/** A JSON codec that cannot encode frames mentioning "poison": an encoding failing for one recipient. */
const poisonCodec: Codec = {
  subprotocol: "test.poison.json",
  binary: false,
  encode(frame) {
    const json = JSON.stringify(frame);
    if (json.includes("poison")) throw new Error("this codec cannot encode poison");
    return Buffer.from(json);
  },
  decode(data) {
    return JSON.parse(data.toString()) as unknown;
  },
};

describe("data every encoding can carry (one node)", () => {
  let sb: Switchboard;
  let url: string;
  let metricsText: () => Promise<string>;
  const logLines: Array<Record<string, unknown>> = [];
  const clients: Array<{ close(): Promise<unknown> }> = [];

  before(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
    sb = createSwitchboard({ auth: { anonymous: true }, logger });
    sb.addCodec(poisonCodec);
    const api = createServerApi(sb);
    metricsText = () => api.metrics.text();
    const address = await sb.listen(0, "127.0.0.1");
    url = `ws://127.0.0.1:${address.port}/ws`;
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await sb.close();
  });

  async function json(): Promise<TestClient> {
    const client = await connect(url);
    clients.push(client);
    return client;
  }

  it(`refuses data nested deeper than ${MAX_DATA_DEPTH} levels with bad_request, before anything is stored or delivered`, async () => {
    const publisher = await json();
    const packed = await MsgpackClient.open(url);
    clients.push(packed);
    await publisher.ok({ type: "join", room: "deep:one" });
    const joined = await packed.ok({ type: "join", room: "deep:one" });
    const reply = await publisher.request({ type: "publish", room: "deep:one", data: nested(150) });
    assert.equal(reply.ok, false);
    assert.equal((reply.error as { code: string }).code, "bad_request");
    assert.match((reply.error as { message: string }).message, new RegExp(`${MAX_DATA_DEPTH} levels`));
    // Nothing was stored: the next publication takes the next offset, and both members get it.
    const accepted = await publisher.ok({ type: "publish", room: "deep:one", data: nested(MAX_DATA_DEPTH - 1) });
    assert.equal(accepted.offset, (joined.offset as number) + 1);
    const frame = await packed.next((candidate) => candidate.type === "message");
    assert.equal(frame.offset, accepted.offset);
    await publisher.next((candidate) => candidate.type === "message");
  });

  it("answers 32,000 levels of nesting with bad_request and logs no stack trace", async () => {
    const publisher = await json();
    await publisher.ok({ type: "join", room: "deep:32k" });
    const before = logLines.length;
    const depth = 32_000;
    publisher.send(`{"type":"publish","room":"deep:32k","id":77,"data":${"[".repeat(depth)}${"]".repeat(depth)}}`);
    const reply = await publisher.next((frame) => frame.type === "reply" && frame.id === 77);
    assert.equal((reply.error as { code: string }).code, "bad_request");
    const logged = logLines.slice(before);
    assert.deepEqual(
      logged.filter((line) => (line.level as number) >= 50),
      [],
      "no error was logged",
    );
    assert.ok(!JSON.stringify(logged).includes("RangeError"), "no stack overflow anywhere in the log");
  });

  it("refuses deep presence meta with bad_request, not unavailable", async () => {
    const client = await json();
    await client.ok({ type: "join", room: "deep:meta" });
    const reply = await client.request({ type: "presence", room: "deep:meta", meta: { status: nested(120) } });
    assert.equal((reply.error as { code: string }).code, "bad_request");
  });

  it("refuses deep data from server code (publish and emit) with a SwitchboardError", async () => {
    await assert.rejects(sb.publish("deep:server", nested(200)), { code: "bad_request" });
    await assert.rejects(sb.to("deep:server").emit("deep", nested(200)), { code: "bad_request" });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(sb.publish("deep:server", cyclic), { code: "bad_request" });
    await assert.rejects(sb.publish("deep:server", { big: 1n }), { code: "bad_request" });
  });

  it("serves every other recipient, counts and logs once, when one recipient's encoding fails", async () => {
    const before = logLines.length;
    const first = await json();
    const poisoned = await connect(url, { protocols: "test.poison.json" });
    clients.push(poisoned);
    const last = await json();
    for (const client of [first, poisoned, last]) await client.ok({ type: "join", room: "encoding:room" });
    const published = await first.ok({ type: "publish", room: "encoding:room", data: { text: "poison" } });
    assert.equal(typeof published.offset, "number", "the publisher is acknowledged");
    for (const client of [first, last]) assert.equal(((await client.nextOfType("message")).data as { text: string }).text, "poison");
    await first.ok({ type: "publish", room: "encoding:room", data: { text: "fine" } });
    assert.equal(((await poisoned.nextOfType("message")).data as { text: string }).text, "fine", "the failing recipient still gets what it can encode");
    assert.match(await metricsText(), /switchboard_delivery_failures_total 1\b/);
    const errors = logLines.slice(before).filter((line) => line.msg === "delivering a frame failed; other recipients were served");
    assert.equal(errors.length, 1);
  });

  it("releases held live frames when a recovery replays a message that cannot be encoded", async () => {
    const publisher = await json();
    const position = await publisher.ok({ type: "join", room: "encoding:recover" });
    await publisher.ok({ type: "publish", room: "encoding:recover", data: { text: "poison" } });
    const recovering = await connect(url, { protocols: "test.poison.json" });
    clients.push(recovering);
    const joined = await recovering.ok({ type: "join", room: "encoding:recover", since: { offset: position.offset, epoch: position.epoch } });
    assert.equal(joined.recovered, true);
    await publisher.ok({ type: "publish", room: "encoding:recover", data: { text: "after" } });
    assert.equal(((await recovering.nextOfType("message")).data as { text: string }).text, "after");
  });
});

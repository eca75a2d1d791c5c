import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { CLOSE_CODES, ERROR_CODES } from "switchboard";
import { connect } from "../support/client.js";
import type { Frame, TestClient } from "../support/client.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";
import { bystander, headerAuth } from "./helpers.js";

const BUILT_IN = ["join", "leave", "publish", "presence", "history", "ping", "auth"];
const MAX_PAYLOAD = 4_096;

/** Frames a hostile client might send: noise, JSON of the wrong shape, protocol frames with hostile fields, mutations of valid frames, oversize frames. */
const hostileFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 512 }),
  fc.json({ maxDepth: 4 }),
  fc
    .record(
      {
        type: fc.oneof(fc.constantFrom(...BUILT_IN, "validated", "echo", "__proto__", "constructor", ""), fc.string({ maxLength: 20 }), fc.integer()),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fc.double(), fc.constant(null), fc.object()),
        room: fc.oneof(fc.constantFrom("fuzz:a", "user:1", "private:a:b", "a".repeat(200)), fc.string({ maxLength: 40 }), fc.integer(), fc.object()),
        action: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
        data: fc.anything({ maxDepth: 3 }),
        since: fc.anything({ maxDepth: 2 }),
        limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
        token: fc.anything({ maxDepth: 1 }),
        volatile: fc.anything({ maxDepth: 0 }),
        echo: fc.anything({ maxDepth: 0 }),
      },
      { requiredKeys: [] },
    )
    .map((frame) => JSON.stringify(frame) ?? "null"),
  fc
    .tuple(fc.constantFrom('{"type":"join","room":"fuzz:a","id":1}', '{"type":"publish","room":"fuzz:a","data":{"x":1},"id":2}', '{"type":"history","room":"fuzz:a","limit":10,"id":3}'), fc.nat(60), fc.nat(255))
    .map(([valid, position, byte]) => {
      const bytes = Buffer.from(valid);
      bytes[position % bytes.length] = byte;
      return bytes.toString("latin1");
    }),
  fc.nat(3 * MAX_PAYLOAD).map((size) => `{"type":"ping","pad":"${"z".repeat(MAX_PAYLOAD - 40 + size)}"}`),
);

describe("hostile-input fuzzing", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      auth: headerAuth,
      maxPayload: MAX_PAYLOAD,
      protection: { frameRate: { perSecond: 10_000, burst: 10_000 }, joinsPerMinute: 100_000 },
    });
    server.sb.handle("validated", z.object({ n: z.number().int() }), (_ctx, data) => ({ doubled: data.n * 2 }));
    server.sb.handle("echo", (_ctx, data) => data);
  });
  after(() => server.close());

  it("never crashes: every frame is answered or the connection closes with a documented code, and a bystander is still served", async () => {
    const served = await bystander(server);
    const heapBefore = process.memoryUsage().heapUsed;
    let attacker: TestClient = await connect(server.url);
    let probe = 0;
    const seen = { errors: new Set<string>(), closes: new Set<number>() };

    await fc.assert(
      fc.asyncProperty(hostileFrame, async (frame) => {
        if (attacker.ws.readyState !== 1) attacker = await connect(server.url);
        const probeId = `probe-${++probe}`;
        const current = attacker;
        const answered = current.next((candidate) => candidate.type === "pong" && candidate.id === probeId, 5_000);
        current.ws.send(frame);
        current.send({ type: "ping", id: probeId });
        const outcome = await Promise.race([answered.then(() => "answered" as const), current.closed.then(() => "closed" as const)]);
        answered.catch(() => {});
        // Every error the server sent in between carries a documented code, and never "internal".
        for (const received of current.frames.splice(0)) {
          const error = (received as Frame & { error?: { code?: string } }).error;
          if (received.type === "error" || (received.type === "reply" && received.ok === false)) {
            assert.ok(error?.code !== undefined && Object.hasOwn(ERROR_CODES, error.code), `undocumented error ${JSON.stringify(received)}`);
            assert.notEqual(error.code, "internal", `internal error for ${JSON.stringify(frame).slice(0, 200)}`);
            seen.errors.add(error.code);
          }
        }
        if (outcome === "closed") {
          const { code } = await current.closed;
          assert.ok(Object.hasOwn(CLOSE_CODES, code), `undocumented close code ${code}`);
          seen.closes.add(code);
        }
      }),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20_261_123), endOnFailure: true },
    );

    await served.assertServed();
    assert.ok(seen.errors.has("bad_request"), "the fuzzer reached the decoder's errors");
    assert.ok(seen.closes.has(1009), "the fuzzer reached the frame-size limit");
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 128 * 1_048_576, "heap growth is bounded");
    await attacker.close();
    await served.client.close();
  });
});

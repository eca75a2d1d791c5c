import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { messageFrameHead, sealMessageFrame, volatileMessageFrame } from "../src/protocol/message-frame.js";

// The frame text is written by hand on the publish path; it must be exactly what
// JSON.stringify of the frame object, field by field in MessageFrame order, gives.
function expected(room: string, data: unknown, ts: number, from: { userId: string | null; connectionId: string } | undefined, event: string | undefined, sealed?: { offset: number; epoch: string }): string {
  const fields: Record<string, unknown> = { type: "message", room };
  if (event !== undefined) fields.event = event;
  fields.data = data;
  if (from !== undefined) fields.from = from;
  fields.ts = ts;
  if (sealed !== undefined) Object.assign(fields, sealed);
  return JSON.stringify(fields);
}

const ROOMS = ["chat", 'quote"and\\slash', "emoji-\u{1F600}", "line\nbreak", "ticker:{AAPL}"];
const DATA: unknown[] = [null, 0, -1.5, "text", "\u2028", [1, [2, { a: null }]], { nested: { deep: [true, false] } }, { when: new Date(0) }, undefined, {}];
const SENDERS = [undefined, { userId: null, connectionId: "c-1" }, { userId: 'u"1', connectionId: "c-2" }];
const EVENTS = [undefined, "typing", 'e"vent'];

describe("message frame text", () => {
  it("is byte for byte JSON.stringify of the frame object, stored and volatile, for every kind of field", () => {
    let checked = 0;
    for (const room of ROOMS)
      for (const data of DATA)
        for (const from of SENDERS)
          for (const event of EVENTS) {
            const ts = 1_764_612_345_678;
            assert.equal(volatileMessageFrame(room, data, ts, from, event), expected(room, data, ts, from, event));
            const sealed = sealMessageFrame(messageFrameHead(room, data, ts, from, event), 42, "Ep0ch_-x");
            assert.equal(sealed, expected(room, data, ts, from, event, { offset: 42, epoch: "Ep0ch_-x" }));
            assert.deepEqual(JSON.parse(sealed).room, room);
            checked++;
          }
    assert.equal(checked, ROOMS.length * DATA.length * SENDERS.length * EVENTS.length);
  });

  it("reuses a sender's serialization but follows a new sender object", () => {
    const sender = { userId: "u1", connectionId: "c1" };
    assert.match(volatileMessageFrame("r", 1, 0, sender), /"from":\{"userId":"u1","connectionId":"c1"\}/);
    const refreshed = { userId: "u2", connectionId: "c1" };
    assert.match(volatileMessageFrame("r", 1, 0, refreshed), /"from":\{"userId":"u2","connectionId":"c1"\}/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageLog } from "../../src/history/message-log.js";

function frames(log: MessageLog): Array<{ offset: number; frame: string; expiresAt: number }> {
  return Array.from({ length: log.length }, (_, index) => ({ offset: log.offsetAt(index), frame: log.frameAt(index), expiresAt: log.expiresAt(index) }));
}

describe("the in-memory history's message log", () => {
  it("keeps messages in order through wrap-around, compaction and growth, as a plain array would", () => {
    const log = new MessageLog();
    const expected: Array<{ offset: number; frame: string; expiresAt: number }> = [];
    // Sizes that force the byte buffer to move its kept bytes to the front, to grow and to shrink,
    // and the message ring to wrap: a deterministic mix of appends and drops.
    for (let offset = 1; offset <= 3_000; offset++) {
      const frame = `{"offset":${offset},"pad":"${"é☃x".repeat((offset * 7919) % 300)}"}`;
      const bytes = log.push(offset, offset * 10, frame);
      assert.equal(bytes, Buffer.byteLength(frame));
      expected.push({ offset, frame, expiresAt: offset * 10 });
      const keep = offset < 1_500 ? 40 : 3;
      while (expected.length > keep) {
        const dropped = expected.shift()!;
        assert.equal(log.dropOldest(), Buffer.byteLength(dropped.frame));
      }
      if (offset % 97 === 0) assert.deepEqual(frames(log), expected);
    }
    assert.deepEqual(frames(log), expected);
  });

  it("lowers expiries, and gives its buffers back when emptied", () => {
    const log = new MessageLog();
    for (let offset = 1; offset <= 10; offset++) log.push(offset, 1_000 + offset, `m${offset}`);
    log.capExpiry(1_005);
    assert.deepEqual(frames(log).map((message) => message.expiresAt), [1_001, 1_002, 1_003, 1_004, 1_005, 1_005, 1_005, 1_005, 1_005, 1_005]);
    while (log.length > 0) log.dropOldest();
    log.push(11, 2_000, "after");
    assert.deepEqual(frames(log), [{ offset: 11, frame: "after", expiresAt: 2_000 }]);
    log.clear();
    assert.equal(log.length, 0);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PresenceCoalescer } from "../../src/presence/presence-coalescer.js";
import { keepProcessAlive } from "../support/keep-alive.js";
import type { PresenceFlushFailure } from "../../src/presence/presence-coalescer.js";
import type { PresenceChange, PresenceChanges } from "../../src/presence/presence-diff.js";

const ROOM = "room";

/** A flush that fails while `failing` is set, recording every batch it was handed and waking whoever awaits the next one. */
class Flaky {
  failing = true;
  readonly batches: Array<{ changes: PresenceChanges; failed: boolean }> = [];
  readonly failures: PresenceFlushFailure[] = [];
  private waiter: ((changes: PresenceChanges) => void) | undefined;

  readonly flush = async (_room: string, changes: PresenceChanges): Promise<void> => {
    const failed = this.failing;
    this.batches.push({ changes, failed });
    this.waiter?.(changes);
    if (failed) throw new Error("broker away");
  };

  next(): Promise<PresenceChanges> {
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

function change(kind: PresenceChange["kind"], connectionId: string): PresenceChange {
  return { kind, connectionId, userId: connectionId.toUpperCase() };
}

function coalescer(flaky: Flaky): PresenceCoalescer {
  return new PresenceCoalescer({ intervalMs: 5, flush: flaky.flush, onFailure: (failure) => flaky.failures.push(failure) });
}

describe("a failed presence batch", () => {
  keepProcessAlive();

  it("is sent again before the changes that came after it", async () => {
      const flaky = new Flaky();
      const windows = coalescer(flaky);
      const first = flaky.next();
      windows.add(ROOM, (diff) => {
        diff.add(change("join", "a"));
        diff.add(change("leave", "b"));
        diff.add(change("join", "c"));
      });
      assert.deepEqual(await first, { joined: [{ connectionId: "a", userId: "A" }, { connectionId: "c", userId: "C" }], left: [{ connectionId: "b", userId: "B" }] });
      // While it is being retried: a leaves (joined in the failed batch), b rejoins (left in it), d joins.
      windows.add(ROOM, (diff) => {
        diff.add(change("leave", "a"));
        diff.add(change("join", "b"));
        diff.add(change("join", "d"));
      });
      const retry = flaky.next();
      flaky.failing = false;
      const resent = await retry;
      assert.deepEqual(resent.updated, [{ connectionId: "b", userId: "B" }], "b left and rejoined: present");
      assert.deepEqual(resent.joined, [{ connectionId: "c", userId: "C" }, { connectionId: "d", userId: "D" }], "the failed batch's join, then the later one");
      // a joined then left: a leave, since the failed publish may still have delivered the join, and a snapshot may have listed it.
      assert.deepEqual(resent.left, [{ connectionId: "a", userId: "A" }]);
      assert.equal(flaky.failures.length >= 1 && flaky.failures[0]!.retryInMs! >= 5, true, "retried after a backoff of at least the interval");
      await windows.drain();
      assert.equal(flaky.batches.filter((batch) => !batch.failed).length, 1, "sent once, then nothing left");
  });

  it("backs off, doubling up to a bound, and keeps merging until a flush succeeds", async () => {
    const flaky = new Flaky();
    const windows = coalescer(flaky);
    windows.add(ROOM, (diff) => diff.add(change("join", "a")));
    for (let attempt = 0; attempt < 4; attempt++) await flaky.next();
    windows.add(ROOM, (diff) => diff.add(change("join", "b")));
    const last = flaky.next();
    flaky.failing = false;
    assert.deepEqual((await last).joined?.map((entry) => entry.connectionId), ["a", "b"]);
    assert.deepEqual(
      flaky.failures.map((failure) => failure.retryInMs),
      [10, 20, 40, 80],
    );
    await windows.drain();
  });

  it("is part of the last flush on close, and reported when that fails too", async () => {
    const flaky = new Flaky();
    const windows = coalescer(flaky);
    const first = flaky.next();
    windows.add(ROOM, (diff) => diff.add(change("leave", "a")));
    await first;
    windows.add(ROOM, (diff) => diff.add(change("leave", "b")));
    await windows.drain();
    const last = flaky.batches.at(-1)!;
    assert.deepEqual(last.changes.left?.map((entry) => entry.connectionId), ["a", "b"], "the shutting-down node's leaves, in one last attempt");
    const reported = flaky.failures.at(-1)!;
    assert.equal(reported.retryInMs, undefined, "given up on close");
    assert.equal(reported.changes, 2);
  });
});

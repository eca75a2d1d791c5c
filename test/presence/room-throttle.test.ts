import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RoomThrottle } from "../../src/presence/room-throttle.js";
import { keepProcessAlive } from "../support/keep-alive.js";

describe("a room's count frames while their sends fail", () => {
  keepProcessAlive();

  it("reports each failure with its place in the streak, and the recovery once, so that a log line is per streak", async () => {
    let failuresLeft = 3;
    const attempts: number[] = [];
    const recovered = new Promise<{ room: string; attempts: number }>((resolve) => {
      const throttle = new RoomThrottle(
        5,
        async () => {
          if (failuresLeft-- > 0) throw new Error("redis away");
        },
        {
          onFailure: (_error, _room, attempt) => attempts.push(attempt),
          onRecovered: (room, taken) => {
            resolve({ room, attempts: taken });
            throttle.close();
          },
        },
      );
      throttle.request("big:room");
    });
    assert.deepEqual(await recovered, { room: "big:room", attempts: 4 });
    assert.deepEqual(attempts, [1, 2, 3], "the failures of one streak, numbered");
  });
});

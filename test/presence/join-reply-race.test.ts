import { after, before, describe, it } from "node:test";
import { raceJoinReplyAgainstFlicker, RACE_INTERVAL_MS } from "../support/presence-race.js";
import { startTestServer } from "../support/server.js";
import type { TestServer } from "../support/server.js";

describe("a join reply built while another connection joins and leaves within one window (one node)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ presenceIntervalMs: RACE_INTERVAL_MS });
  });
  after(() => server.close());

  it("leaves no ghost: the leave goes out, and every client's list equals the store", async () => {
    await raceJoinReplyAgainstFlicker([server], { flapper: 0, observer: 0, flicker: 0, joiner: 0, marker: 0 }, "race:one-node");
  });
});

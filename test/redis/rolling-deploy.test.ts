import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failureCounts, rollingDeploy } from "../../bench/scenarios/deploy.js";
import type { DeployReport } from "../../bench/scenarios/deploy.js";

/** Every count that must be exactly zero after a deploy, with the acknowledged publications for context. */
function assertNothingLost(report: DeployReport): void {
  const context = JSON.stringify(report);
  assert.ok(report.acknowledged > 0, `publications were acknowledged: ${context}`);
  assert.deepEqual(
    failureCounts(report),
    { lost: 0, duplicated: 0, outOfOrder: 0, resets: 0, ghosts: 0, missing: 0, metaLost: 0, unannouncedLeaves: 0 },
    context,
  );
}

describe("rolling deploy: 3 node processes on a private redis-server, SDK clients behind a balancer", () => {
  it("SIGTERM and restart each node in turn: no acknowledged publication lost, duplicated or reordered; presence exact, meta restored, every leave announced", async () => {
    const report = await rollingDeploy({ nodes: 3, publishers: 3, subscribers: 3, intervalMs: 40, dwellMs: 500 });
    assertNothingLost(report);
    assert.equal(report.restarts.length, 3);
  });

  it("SIGKILL one node and start it again: the same, the dead connections' leaves announced by the sweep", async () => {
    const report = await rollingDeploy({ nodes: 3, publishers: 3, subscribers: 3, intervalMs: 40, dwellMs: 500, signal: "SIGKILL", restart: 1 });
    assertNothingLost(report);
    assert.equal(report.restarts.length, 1);
  });
});

import { after, before } from "node:test";

/**
 * Keeps the test process alive for the suite: the presence coalescer's and throttle's timers are
 * unref'd (idle rooms must not hold a node open), and in a unit test a pending retry is all there is.
 */
export function keepProcessAlive(): void {
  let alive: NodeJS.Timeout | undefined;
  before(() => {
    alive = setInterval(() => undefined, 1_000);
  });
  after(() => clearInterval(alive));
}

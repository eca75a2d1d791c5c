import { SwitchboardClientError } from "./errors.js";

/**
 * Application-level ping: browsers cannot see protocol pings, so a dead TCP
 * connection (a sleeping laptop, a dropped NAT entry) would go unnoticed until the
 * next send. A `ping` that gets no `pong` within the timeout declares the
 * connection dead.
 */
export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private waiting = false;
  private generation = 0;

  constructor(
    private readonly ping: (timeoutMs: number) => Promise<unknown>,
    private readonly onDead: () => void,
  ) {}

  start(intervalMs: number, timeoutMs: number): void {
    this.stop();
    const generation = this.generation;
    this.timer = setInterval(() => {
      // One ping at a time: an unanswered one is already counting down.
      if (this.waiting) return;
      this.waiting = true;
      this.ping(timeoutMs).then(
        () => {
          if (generation === this.generation) this.waiting = false;
        },
        (error: unknown) => {
          if (generation !== this.generation) return;
          this.waiting = false;
          if (error instanceof SwitchboardClientError && error.code === "timeout") this.onDead();
        },
      );
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.waiting = false;
    this.generation++;
  }
}

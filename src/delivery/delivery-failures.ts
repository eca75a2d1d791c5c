import type { Logger } from "../log/logger.js";
import type { SwitchboardObserver } from "../protection/observer.js";

/** How often a run of the same delivery failure is logged again (with the count since). */
const LOG_EVERY_MS = 10_000;

/**
 * Where a failure to encode or write one recipient's frame goes: counted in
 * metrics for every recipient, logged once (then once per 10 s while it keeps
 * happening, with the count), and never thrown into the delivery loop, so one
 * recipient's encoding cannot stop the others, abort a recovery flush or reach
 * a broker client's listener (ioredis rethrows, which would exit the process).
 */
export class DeliveryFailures {
  private suppressed = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly observer: Pick<SwitchboardObserver, "deliveryFailed">,
  ) {}

  record(error: unknown, connectionId: string): void {
    this.observer.deliveryFailed?.(1);
    const now = performance.now();
    if (now - this.loggedAt < LOG_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.logger.error({ err: error, connection: connectionId, suppressed: this.suppressed }, "delivering a frame failed; other recipients were served");
    this.loggedAt = now;
    this.suppressed = 0;
  }
}

import { TokenBucket } from "./token-bucket.js";
import type { RateLimit } from "./protection-options.js";

/** Refused frames are counted over this window; `rateLimitCloseAfter` of them closes the connection. */
const ABUSE_WINDOW_MS = 10_000;

export type FrameVerdict = "ok" | "limited" | "abuse";

/**
 * One connection's protection state: its frame bucket, per-handler buckets and
 * join bucket (allocated on first use), and whether it was found to be a slow
 * consumer. Lives on the Connection so the hot path needs no map lookup.
 */
export class ConnectionGuard {
  /** Set once the connection exceeded the outbound bound; every later send is dropped. */
  slow = false;
  private readonly frames: TokenBucket | undefined;
  private routes: Map<string, TokenBucket> | undefined;
  private joins: TokenBucket | undefined;
  private refused = 0;
  /**
   * When the current refusal window began (performance.now()); none yet. Not 0: a field that held
   * a small integer changes the class of every guard when it first gets a fractional time, which
   * throws away the optimized per-frame code of every connection in the middle of a flood.
   */
  private windowStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    frameRate: RateLimit,
    private readonly closeAfter: number,
    private readonly joinsPerMinute: number,
  ) {
    this.frames = frameRate.perSecond > 0 ? new TokenBucket(frameRate.perSecond, frameRate.burst) : undefined;
  }

  /** Counts one inbound frame against the connection's rate. */
  admitFrame(now?: number): FrameVerdict {
    // No clock read without a frame rate: this runs for every inbound frame.
    if (this.frames === undefined) return "ok";
    const at = now ?? performance.now();
    return this.frames.take(at) ? "ok" : this.countRefusal(at);
  }

  /** Counts a frame against a handler's own, stricter limit. */
  admitRoute(key: string, limit: RateLimit, now: number = performance.now()): FrameVerdict {
    let bucket = this.routes?.get(key);
    if (bucket === undefined) (this.routes ??= new Map()).set(key, (bucket = new TokenBucket(limit.perSecond, limit.burst, now)));
    return bucket.take(now) ? "ok" : this.countRefusal(now);
  }

  /** Counts one join; false when over the per-minute limit. */
  admitJoin(now: number = performance.now()): boolean {
    if (this.joinsPerMinute === 0) return true;
    this.joins ??= new TokenBucket(this.joinsPerMinute / 60, this.joinsPerMinute, now);
    return this.joins.take(now);
  }

  /** A refusal is "abuse" once `closeAfter` of them fall within one window. */
  private countRefusal(now: number): FrameVerdict {
    if (now - this.windowStartedAt > ABUSE_WINDOW_MS) {
      this.windowStartedAt = now;
      this.refused = 0;
    }
    this.refused++;
    return this.closeAfter > 0 && this.refused >= this.closeAfter ? "abuse" : "limited";
  }
}

import { TokenBucket } from "./token-bucket.js";

/**
 * Connection attempts per client IP, as a token bucket per address. Entries whose
 * bucket has refilled are forgotten by `sweep()`, and the table never holds more
 * than `maxTracked` addresses, so a spray of spoofed sources cannot grow memory.
 */
export class IpRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxTracked = 100_000,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Counts one attempt from `ip`; false when it is over the limit. */
  allow(ip: string, now: number = performance.now()): boolean {
    if (!this.enabled) return true;
    let bucket = this.buckets.get(ip);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxTracked) this.sweep(now);
      // Still full of busy addresses: refuse rather than track without bound.
      if (this.buckets.size >= this.maxTracked) return false;
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(ip, bucket);
    }
    return bucket.take(now);
  }

  /** Forgets addresses whose bucket is full again (they look like new addresses). */
  sweep(now: number = performance.now()): void {
    for (const [ip, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(ip);
  }

  get size(): number {
    return this.buckets.size;
  }
}

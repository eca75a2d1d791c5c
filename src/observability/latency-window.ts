import type { LatencyPercentiles } from "../protocol/stats.js";

/**
 * The most recent delivery latencies, in a fixed ring so that recording costs
 * one store and memory stays constant; percentiles are computed on demand
 * (once a second by the stats sampler), never on the delivery path.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    capacity = 4096,
    /** Samples older than this are left out of the percentiles. */
    private readonly maxAgeMs = 60_000,
  ) {
    this.samples = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  record(latencyMs: number, now = Date.now()): void {
    this.samples[this.next] = latencyMs;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.samples.length;
    if (this.size < this.samples.length) this.size++;
  }

  percentiles(now = Date.now()): LatencyPercentiles {
    const recent: number[] = [];
    for (let index = 0; index < this.size; index++) if (now - this.times[index]! <= this.maxAgeMs) recent.push(this.samples[index]!);
    if (recent.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, count: 0 };
    recent.sort((a, b) => a - b);
    const at = (quantile: number): number => round(recent[Math.min(recent.length - 1, Math.ceil(quantile * recent.length) - 1)]!);
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(recent[recent.length - 1]!), count: recent.length };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

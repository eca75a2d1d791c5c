import type { NodeStats, StatsSample, SwitchboardStats } from "../protocol/stats.js";
import type { Switchboard } from "../server/switchboard.js";

/** Five minutes at one sample a second. */
const SERIES_LENGTH = 300;

/**
 * Samples the Switchboard's counters once a second into rates and a short
 * series, so that /api/stats and its stream never compute rates per request.
 */
export class StatsSampler {
  private previous: SwitchboardStats;
  private previousAt: number;
  private current: NodeStats;
  private readonly samples: StatsSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly listeners = new Set<(stats: NodeStats) => void>();

  constructor(
    private readonly sb: Pick<Switchboard, "stats">,
    intervalMs = 1_000,
  ) {
    this.previous = sb.stats();
    this.previousAt = Date.now();
    this.current = withRates(this.previous, this.previous, 1, this.previousAt);
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** This node's latest figures. */
  latest(): NodeStats {
    return this.current;
  }

  series(): readonly StatsSample[] {
    return this.samples;
  }

  /** Called after every sample; returns a function that stops it. */
  onSample(listener: (stats: NodeStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  private sample(): void {
    const now = Date.now();
    const stats = this.sb.stats();
    this.current = withRates(stats, this.previous, (now - this.previousAt) / 1000, now);
    this.previous = stats;
    this.previousAt = now;
    this.samples.push({ t: now, framesInPerSecond: this.current.framesInPerSecond, framesOutPerSecond: this.current.framesOutPerSecond, connections: stats.connections });
    if (this.samples.length > SERIES_LENGTH) this.samples.shift();
    for (const listener of this.listeners) listener(this.current);
  }
}

function withRates(stats: SwitchboardStats, previous: SwitchboardStats, seconds: number, now: number): NodeStats {
  const rate = (current: number, before: number): number => (seconds > 0 ? Math.round(((current - before) / seconds) * 10) / 10 : 0);
  return {
    ...stats,
    framesInPerSecond: rate(stats.framesIn, previous.framesIn),
    framesOutPerSecond: rate(stats.framesOut, previous.framesOut),
    bytesInPerSecond: rate(stats.bytesIn, previous.bytesIn),
    bytesOutPerSecond: rate(stats.bytesOut, previous.bytesOut),
    reportedAt: now,
  };
}

import { ClusterLifecycle } from "../cluster/lifecycle-channels.js";
import type { Switchboard } from "../server/switchboard.js";
import type { NodeStats } from "../protocol/stats.js";
import type { StatsSampler } from "./stats-sampler.js";

/** A node's report on the bus: its figures and its busiest rooms. */
export interface NodeReport {
  stats: NodeStats;
  rooms: Array<{ room: string; connections: number }>;
}

/** Rooms each node reports; the cluster-wide room list is the union of these. */
const ROOMS_PER_REPORT = 500;
/** A node missing this many report intervals is left out (it stopped or lost the broker). */
const MISSED_REPORTS = 3;

/**
 * Makes /api/stats and /api/rooms cluster-wide: every node publishes its
 * figures on the cluster bus every `intervalMs`, and keeps the latest report of
 * each other node. One small message per node per interval, whatever the load.
 */
export class NodeStatsExchange {
  private readonly reports = new Map<string, NodeReport>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sb: Switchboard,
    private readonly sampler: StatsSampler,
    private readonly intervalMs = 2_000,
  ) {
    this.unsubscribe = sb.cluster.on<NodeReport>({ channel: ClusterLifecycle.nodeStats, name: "node-stats" }, (event) => {
      if (!event.local) this.reports.set(event.origin, event.payload);
    });
    this.timer = setInterval(() => this.publish(), intervalMs);
    this.timer.unref();
  }

  /** This node's report, computed now. */
  localReport(): NodeReport {
    const rooms = this.sb.localRooms().sort((a, b) => b.connections - a.connections).slice(0, ROOMS_PER_REPORT);
    return { stats: this.sampler.latest(), rooms };
  }

  /** This node first, then every other node that reported recently. */
  nodes(): NodeReport[] {
    const now = Date.now();
    const fresh: NodeReport[] = [this.localReport()];
    for (const [node, report] of this.reports) {
      if (now - report.stats.reportedAt > this.intervalMs * MISSED_REPORTS) this.reports.delete(node);
      else fresh.push(report);
    }
    return fresh;
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  private publish(): void {
    // A failed report only leaves this node out of the others' views for a while; the bus logs it.
    this.sb.cluster.publishBuiltIn(ClusterLifecycle.nodeStats, this.localReport()).catch(() => undefined);
  }
}

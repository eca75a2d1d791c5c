// The figures a node reports about itself and what `GET /api/stats` (and its event stream)
// returns: shared by the server (src/http/) and the operations dashboard (web/src/dashboard/).

/** One node's counters since it started (`Switchboard.stats()`). */
export interface SwitchboardStats {
  node: string;
  connections: number;
  users: number;
  rooms: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  /** Bytes of frames delivered from publications and events (replies and pings not counted). */
  bytesOut: number;
  /** When this node started, in milliseconds since the epoch. */
  startedAt: number;
}

/** A node's counters with per-second rates, as /api/stats shows each node. */
export interface NodeStats extends SwitchboardStats {
  framesInPerSecond: number;
  framesOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  /** When these figures were taken, in milliseconds since the epoch. */
  reportedAt: number;
}

/** One point of the chart series. */
export interface StatsSample {
  t: number;
  framesInPerSecond: number;
  framesOutPerSecond: number;
  connections: number;
}

/** Delivery latency percentiles over the recent window, in ms; all 0 when there were no samples. */
export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Samples the percentiles were computed from. */
  count: number;
}

/** The body of `GET /api/stats`. */
export interface ApiStats {
  node: string;
  nodes: NodeStats[];
  totals: { connections: number; users: number; rooms: number; framesInPerSecond: number; framesOutPerSecond: number };
  latencyMs: LatencyPercentiles;
  disconnectsByCode: Record<string, number>;
  refusals: Record<string, number>;
  series: readonly StatsSample[];
}

/** One row of `GET /api/rooms`: a room and its connections across nodes. */
export interface RoomCount {
  room: string;
  connections: number;
}

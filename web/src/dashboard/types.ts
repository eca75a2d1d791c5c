/** The server API's shapes the dashboard reads (see docs/server-api.md). */
export interface NodeStats {
  node: string;
  connections: number;
  users: number;
  rooms: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  framesInPerSecond: number;
  framesOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  startedAt: number | string;
  reportedAt: number | string;
}

export interface SeriesPoint {
  t: number;
  framesInPerSecond: number;
  framesOutPerSecond: number;
  connections: number;
}

export interface Stats {
  node: string;
  nodes: NodeStats[];
  totals: { connections: number; users: number; rooms: number; framesInPerSecond: number; framesOutPerSecond: number };
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; count: number };
  disconnectsByCode: Record<string, number>;
  refusals: Record<string, number>;
  series: SeriesPoint[];
}

export interface RoomCount {
  room: string;
  connections: number;
}

export interface PresenceMember {
  userId: string | null;
  connections: number;
  meta?: Record<string, unknown>;
}

export interface HistoryMessage {
  type: "message";
  room: string;
  data: unknown;
  from?: { userId: string | null; connectionId: string };
  offset: number;
  ts: number;
}

/**
 * The memory budget of history kept in this process (the in-memory store; a
 * Redis store keeps history in Redis, bounded by each room's `size` and `ttlMs`).
 * docs/protection.md lists each setting with its environment variable.
 */
export interface HistoryLimits {
  /** Bytes of messages one room keeps at most; older ones are dropped first. Default 1 MiB. */
  maxRoomBytes?: number;
  /** Bytes of messages all rooms keep together; beyond, the oldest messages of the least recently published rooms are evicted. Default 64 MiB. */
  maxBytes?: number;
  /** How long a room with no member on this node keeps its history (at most its policy's `ttlMs`). Default 60000 ms. */
  vacantRoomTtlMs?: number;
}

export type ResolvedHistoryLimits = Required<HistoryLimits>;

export const HISTORY_LIMIT_DEFAULTS: ResolvedHistoryLimits = {
  maxRoomBytes: 1_048_576,
  maxBytes: 67_108_864,
  vacantRoomTtlMs: 60_000,
};

function positive(name: keyof HistoryLimits, value: number | undefined): number {
  if (value === undefined) return HISTORY_LIMIT_DEFAULTS[name];
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`Switchboard option "historyLimits.${name}" must be a positive integer, got ${String(value)}`);
  return value;
}

/** Validates the limits once, with messages naming the setting. */
export function resolveHistoryLimits(limits: HistoryLimits = {}): ResolvedHistoryLimits {
  return {
    maxRoomBytes: positive("maxRoomBytes", limits.maxRoomBytes),
    maxBytes: positive("maxBytes", limits.maxBytes),
    vacantRoomTtlMs: positive("vacantRoomTtlMs", limits.vacantRoomTtlMs),
  };
}

import { z } from "zod";
import type { HistoryLimits } from "./history-limits.js";

/** The standalone server's history memory budget (docs/protection.md), spread into the server config schema. */
const positiveInteger = z.coerce.number().int().min(1);

export const historyConfigShape = {
  historyRoomBytes: positiveInteger.optional(),
  historyBytes: positiveInteger.optional(),
  historyVacantTtlMs: positiveInteger.optional(),
};

export const HISTORY_ENVIRONMENT_VARIABLES: Record<keyof typeof historyConfigShape, string[]> = {
  historyRoomBytes: ["SWITCHBOARD_HISTORY_ROOM_BYTES"],
  historyBytes: ["SWITCHBOARD_HISTORY_BYTES"],
  historyVacantTtlMs: ["SWITCHBOARD_HISTORY_VACANT_TTL_MS"],
};

export type HistoryConfig = z.infer<z.ZodObject<typeof historyConfigShape>>;

/** Maps the settings to library options; unset settings keep the defaults. */
export function historyLimitsFromConfig(config: HistoryConfig): HistoryLimits {
  const limits: HistoryLimits = {};
  if (config.historyRoomBytes !== undefined) limits.maxRoomBytes = config.historyRoomBytes;
  if (config.historyBytes !== undefined) limits.maxBytes = config.historyBytes;
  if (config.historyVacantTtlMs !== undefined) limits.vacantRoomTtlMs = config.historyVacantTtlMs;
  return limits;
}

import { z } from "zod";
import type { ProtectionOptions, RateLimit } from "./protection-options.js";
import { PROTECTION_DEFAULTS } from "./protection-options.js";
import { booleanSetting } from "../protocol/boolean-setting.js";

/**
 * The standalone server's protection settings (docs/protection.md), spread into
 * the server config schema. Unset settings keep the library defaults.
 */
const integerFrom = (min: number) => z.coerce.number().int().min(min);
const list = z.union([z.array(z.string()), z.string().transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0))]);

export const protectionConfigShape = {
  allowMissingOrigin: booleanSetting.optional(),
  trustedProxies: list.optional(),
  rateLimitPerSecond: z.coerce.number().min(0).optional(),
  rateLimitBurst: integerFrom(1).optional(),
  rateLimitCloseAfter: integerFrom(0).optional(),
  ipConnectionsPerSecond: z.coerce.number().min(0).optional(),
  ipConnectionsBurst: integerFrom(1).optional(),
  maxConnections: integerFrom(0).optional(),
  maxConnectionsPerUser: integerFrom(0).optional(),
  userCapMode: z.enum(["refuse", "close_oldest"]).optional(),
  maxRoomsPerConnection: integerFrom(0).optional(),
  joinsPerMinute: integerFrom(0).optional(),
  maxBufferedBytes: integerFrom(0).optional(),
  maxNodeBufferedBytes: integerFrom(0).optional(),
  compression: booleanSetting.optional(),
  headersTimeoutMs: integerFrom(0).optional(),
  requestTimeoutMs: integerFrom(0).optional(),
};

export const PROTECTION_ENVIRONMENT_VARIABLES: Record<keyof typeof protectionConfigShape, string[]> = {
  allowMissingOrigin: ["SWITCHBOARD_ALLOW_MISSING_ORIGIN"],
  trustedProxies: ["SWITCHBOARD_TRUSTED_PROXIES"],
  rateLimitPerSecond: ["SWITCHBOARD_RATE_LIMIT_PER_SECOND"],
  rateLimitBurst: ["SWITCHBOARD_RATE_LIMIT_BURST"],
  rateLimitCloseAfter: ["SWITCHBOARD_RATE_LIMIT_CLOSE_AFTER"],
  ipConnectionsPerSecond: ["SWITCHBOARD_IP_CONNECTIONS_PER_SECOND"],
  ipConnectionsBurst: ["SWITCHBOARD_IP_CONNECTIONS_BURST"],
  maxConnections: ["SWITCHBOARD_MAX_CONNECTIONS"],
  maxConnectionsPerUser: ["SWITCHBOARD_MAX_CONNECTIONS_PER_USER"],
  userCapMode: ["SWITCHBOARD_USER_CAP_MODE"],
  maxRoomsPerConnection: ["SWITCHBOARD_MAX_ROOMS_PER_CONNECTION"],
  joinsPerMinute: ["SWITCHBOARD_JOINS_PER_MINUTE"],
  maxBufferedBytes: ["SWITCHBOARD_MAX_BUFFERED_BYTES"],
  maxNodeBufferedBytes: ["SWITCHBOARD_MAX_NODE_BUFFERED_BYTES"],
  compression: ["SWITCHBOARD_COMPRESSION"],
  headersTimeoutMs: ["SWITCHBOARD_HEADERS_TIMEOUT_MS"],
  requestTimeoutMs: ["SWITCHBOARD_REQUEST_TIMEOUT_MS"],
};

export type ProtectionConfig = z.infer<z.ZodObject<typeof protectionConfigShape>> & { allowedOrigins?: string[] | undefined };

type Issue = { code: "custom"; path: string[]; message: string };

/** Cross-field checks, with messages naming the environment variables. */
export function refineProtectionConfig(config: ProtectionConfig, context: { addIssue(issue: Issue): void }): void {
  const { headersTimeoutMs, requestTimeoutMs } = config;
  if (headersTimeoutMs !== undefined && requestTimeoutMs !== undefined && requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    context.addIssue({ code: "custom", path: ["headersTimeoutMs"], message: "must not exceed SWITCHBOARD_REQUEST_TIMEOUT_MS" });
  }
}

function rateFrom(perSecond: number | undefined, burst: number | undefined, fallback: RateLimit): RateLimit | undefined {
  if (perSecond === undefined && burst === undefined) return undefined;
  return { perSecond: perSecond ?? fallback.perSecond, burst: burst ?? fallback.burst };
}

/** Maps the SWITCHBOARD_* protection settings to library options; unset settings keep the defaults. */
export function protectionFromConfig(config: ProtectionConfig): ProtectionOptions {
  const options: ProtectionOptions = {};
  if (config.allowedOrigins !== undefined) options.allowedOrigins = config.allowedOrigins;
  if (config.allowMissingOrigin !== undefined) options.allowMissingOrigin = config.allowMissingOrigin;
  if (config.trustedProxies !== undefined) options.trustedProxies = config.trustedProxies;
  const frameRate = rateFrom(config.rateLimitPerSecond, config.rateLimitBurst, PROTECTION_DEFAULTS.frameRate);
  if (frameRate !== undefined) options.frameRate = frameRate;
  const ipRate = rateFrom(config.ipConnectionsPerSecond, config.ipConnectionsBurst, PROTECTION_DEFAULTS.ipConnectionRate);
  if (ipRate !== undefined) options.ipConnectionRate = ipRate;
  if (config.rateLimitCloseAfter !== undefined) options.rateLimitCloseAfter = config.rateLimitCloseAfter;
  if (config.maxConnections !== undefined) options.maxConnections = config.maxConnections;
  if (config.maxConnectionsPerUser !== undefined) options.maxConnectionsPerUser = config.maxConnectionsPerUser;
  if (config.userCapMode !== undefined) options.userCapMode = config.userCapMode;
  if (config.maxRoomsPerConnection !== undefined) options.maxRoomsPerConnection = config.maxRoomsPerConnection;
  if (config.joinsPerMinute !== undefined) options.joinsPerMinute = config.joinsPerMinute;
  if (config.maxBufferedBytes !== undefined) options.maxBufferedBytes = config.maxBufferedBytes;
  if (config.maxNodeBufferedBytes !== undefined) options.maxNodeBufferedBytes = config.maxNodeBufferedBytes;
  if (config.compression !== undefined) options.compression = config.compression;
  if (config.headersTimeoutMs !== undefined) options.headersTimeoutMs = config.headersTimeoutMs;
  if (config.requestTimeoutMs !== undefined) options.requestTimeoutMs = config.requestTimeoutMs;
  return options;
}

import type { ServerConfig } from "../config/server-config.js";
import type { ProtectionOptions, RateLimit } from "./protection-options.js";
import { PROTECTION_DEFAULTS } from "./protection-options.js";

function rateFrom(perSecond: number | undefined, burst: number | undefined, fallback: RateLimit): RateLimit | undefined {
  if (perSecond === undefined && burst === undefined) return undefined;
  return { perSecond: perSecond ?? fallback.perSecond, burst: burst ?? fallback.burst };
}

/** Maps the standalone server's SWITCHBOARD_* protection settings to library options; unset settings keep the defaults. */
export function protectionFromConfig(config: ServerConfig): ProtectionOptions {
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
  if (config.compression !== undefined) options.compression = config.compression;
  if (config.headersTimeoutMs !== undefined) options.headersTimeoutMs = config.headersTimeoutMs;
  if (config.requestTimeoutMs !== undefined) options.requestTimeoutMs = config.requestTimeoutMs;
  return options;
}

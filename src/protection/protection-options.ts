/** A rate as a token bucket: `perSecond` sustained, `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** What happens when a user opens one connection more than `maxConnectionsPerUser`. */
export type UserCapMode = "refuse" | "close_oldest";

/**
 * Limits that protect a node from hostile or broken clients. Every limit is on by
 * default; docs/protection.md lists each with its default, env setting and the code
 * a client sees. A rate or count of 0 disables that limit.
 */
export interface ProtectionOptions {
  /** Exact `Origin` allowlist; others get 403 before the upgrade. Default: unset (every origin). */
  allowedOrigins?: readonly string[];
  /** Whether upgrades without an `Origin` header (non-browser clients) pass the allowlist. Default true. */
  allowMissingOrigin?: boolean;
  /** Proxies (IPs or CIDR ranges) whose `X-Forwarded-For` is believed. Default: none. */
  trustedProxies?: readonly string[];
  /** Inbound frames per connection. Default 100/s, burst 200. */
  frameRate?: RateLimit;
  /** Refused frames within 10 s that close the connection with 1008. Default 100. */
  rateLimitCloseAfter?: number;
  /** Upgrades per client IP. Default 20/s, burst 200. */
  ipConnectionRate?: RateLimit;
  /** Connections on this node (counting upgrades in progress); more get 503. Default 50000. */
  maxConnections?: number;
  /** Connections per authenticated user on this node. Default 50. */
  maxConnectionsPerUser?: number;
  /** "refuse" (409 at the upgrade, the default) or "close_oldest" (the oldest closes with 4009). */
  userCapMode?: UserCapMode;
  /** Rooms one connection may be in; more joins get `conflict`. Default 100. */
  maxRoomsPerConnection?: number;
  /** Joins per connection per minute; more get `rate_limited`. Default 120. */
  joinsPerMinute?: number;
  /** Unsent outbound bytes after which a connection is closed with 4008. Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * Unsent outbound bytes of all connections together; over it, the sweep closes the
   * connections holding the most with 4008 until the node is under it again. 0 disables. Default 256 MiB.
   */
  maxNodeBufferedBytes?: number;
  /** How often buffered bytes and limiter tables are checked outside the send path. Default 1000 ms. */
  sweepIntervalMs?: number;
  /** After a 4008 close, how long the peer gets to take the close frame before the socket is destroyed. Default 5000 ms. */
  slowConsumerGraceMs?: number;
  /** permessage-deflate; decompressed frames are still bounded by `maxPayload`. Default false. */
  compression?: boolean;
  /** Node's `headersTimeout` for the server `listen()` creates (slow-loris). Default 10000 ms. */
  headersTimeoutMs?: number;
  /** Node's `requestTimeout` for the server `listen()` creates. Default 30000 ms. */
  requestTimeoutMs?: number;
}

export interface ResolvedProtection {
  allowedOrigins: readonly string[] | undefined;
  allowMissingOrigin: boolean;
  trustedProxies: readonly string[];
  frameRate: RateLimit;
  rateLimitCloseAfter: number;
  ipConnectionRate: RateLimit;
  maxConnections: number;
  maxConnectionsPerUser: number;
  userCapMode: UserCapMode;
  maxRoomsPerConnection: number;
  joinsPerMinute: number;
  maxBufferedBytes: number;
  maxNodeBufferedBytes: number;
  sweepIntervalMs: number;
  slowConsumerGraceMs: number;
  compression: boolean;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export const PROTECTION_DEFAULTS: ResolvedProtection = {
  allowedOrigins: undefined,
  allowMissingOrigin: true,
  trustedProxies: [],
  frameRate: { perSecond: 100, burst: 200 },
  rateLimitCloseAfter: 100,
  ipConnectionRate: { perSecond: 20, burst: 200 },
  maxConnections: 50_000,
  maxConnectionsPerUser: 50,
  userCapMode: "refuse",
  maxRoomsPerConnection: 100,
  joinsPerMinute: 120,
  maxBufferedBytes: 1_048_576,
  maxNodeBufferedBytes: 268_435_456,
  sweepIntervalMs: 1_000,
  slowConsumerGraceMs: 5_000,
  compression: false,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`Switchboard option "protection.${name}" must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function rate(name: string, value: RateLimit | undefined, fallback: RateLimit): RateLimit {
  if (value === undefined) return fallback;
  const perSecond = value.perSecond;
  if (typeof perSecond !== "number" || !Number.isFinite(perSecond) || perSecond < 0) {
    throw new TypeError(`Switchboard option "protection.${name}.perSecond" must be a number ≥ 0 (0 disables), got ${String(perSecond)}`);
  }
  const burst = value.burst ?? Math.max(1, Math.ceil(perSecond));
  if (!Number.isInteger(burst) || burst < 1) throw new TypeError(`Switchboard option "protection.${name}.burst" must be an integer ≥ 1, got ${String(burst)}`);
  return { perSecond, burst };
}

function origins(value: readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TypeError('Switchboard option "protection.allowedOrigins" must be an array of origins');
  for (const origin of value) {
    if (typeof origin !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i.test(origin)) {
      throw new TypeError(`Switchboard option "protection.allowedOrigins": "${String(origin)}" is not an origin like https://app.example.com (no path, no trailing slash)`);
    }
  }
  return value;
}

/** Validates protection options once, with messages naming the setting. */
export function resolveProtection(options: ProtectionOptions = {}): ResolvedProtection {
  const mode = options.userCapMode ?? PROTECTION_DEFAULTS.userCapMode;
  if (mode !== "refuse" && mode !== "close_oldest") throw new TypeError(`Switchboard option "protection.userCapMode" must be "refuse" or "close_oldest", got ${String(mode)}`);
  const headersTimeoutMs = count("headersTimeoutMs", options.headersTimeoutMs, PROTECTION_DEFAULTS.headersTimeoutMs);
  const requestTimeoutMs = count("requestTimeoutMs", options.requestTimeoutMs, PROTECTION_DEFAULTS.requestTimeoutMs);
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new TypeError(`Switchboard option "protection.headersTimeoutMs" (${headersTimeoutMs}) must not exceed "protection.requestTimeoutMs" (${requestTimeoutMs})`);
  }
  return {
    allowedOrigins: origins(options.allowedOrigins),
    allowMissingOrigin: options.allowMissingOrigin ?? PROTECTION_DEFAULTS.allowMissingOrigin,
    trustedProxies: options.trustedProxies ?? [],
    frameRate: rate("frameRate", options.frameRate, PROTECTION_DEFAULTS.frameRate),
    rateLimitCloseAfter: count("rateLimitCloseAfter", options.rateLimitCloseAfter, PROTECTION_DEFAULTS.rateLimitCloseAfter),
    ipConnectionRate: rate("ipConnectionRate", options.ipConnectionRate, PROTECTION_DEFAULTS.ipConnectionRate),
    maxConnections: count("maxConnections", options.maxConnections, PROTECTION_DEFAULTS.maxConnections),
    maxConnectionsPerUser: count("maxConnectionsPerUser", options.maxConnectionsPerUser, PROTECTION_DEFAULTS.maxConnectionsPerUser),
    userCapMode: mode,
    maxRoomsPerConnection: count("maxRoomsPerConnection", options.maxRoomsPerConnection, PROTECTION_DEFAULTS.maxRoomsPerConnection),
    joinsPerMinute: count("joinsPerMinute", options.joinsPerMinute, PROTECTION_DEFAULTS.joinsPerMinute),
    maxBufferedBytes: count("maxBufferedBytes", options.maxBufferedBytes, PROTECTION_DEFAULTS.maxBufferedBytes),
    maxNodeBufferedBytes: count("maxNodeBufferedBytes", options.maxNodeBufferedBytes, PROTECTION_DEFAULTS.maxNodeBufferedBytes),
    sweepIntervalMs: count("sweepIntervalMs", options.sweepIntervalMs, PROTECTION_DEFAULTS.sweepIntervalMs, 10),
    slowConsumerGraceMs: count("slowConsumerGraceMs", options.slowConsumerGraceMs, PROTECTION_DEFAULTS.slowConsumerGraceMs),
    compression: options.compression ?? PROTECTION_DEFAULTS.compression,
    headersTimeoutMs,
    requestTimeoutMs,
  };
}

import { randomBytes } from "node:crypto";
import type { Logger } from "../log/logger.js";
import { createRedisBackends } from "../redis/redis-backends.js";
import type { SwitchboardOptions } from "../server/options.js";
import type { ServerConfig } from "./server-config.js";
import { protectionFromConfig } from "../protection/protection-config.js";
import { roomPoliciesFromConfig } from "./room-policy-config.js";
import { historyLimitsFromConfig } from "../history/history-config.js";

/** Turns the standalone server's config into library options. */
export function optionsFromConfig(config: ServerConfig, logger: Logger): SwitchboardOptions {
  const options: SwitchboardOptions = {
    path: config.path,
    maxPayload: config.maxPayload,
    heartbeatMs: config.heartbeatMs,
    idleTimeoutMs: config.idleTimeoutMs,
    multipleRooms: config.multipleRooms,
    logger,
    protection: protectionFromConfig(config),
    historyLimits: historyLimitsFromConfig(config),
  };
  if (config.nodeId !== undefined) options.nodeId = config.nodeId;
  // Published on the broker, so that application nodes on the same Redis (sb.cluster.on) hear this server's joins and leaves.
  if (config.clusterLifecycleEvents) options.cluster = { lifecycleEvents: true };
  if (config.rooms.length > 0) options.rooms = roomPoliciesFromConfig(config.rooms);
  if (config.redisUrl !== undefined) {
    // The node id is fixed here so that the Redis presence heartbeat and the Switchboard agree on it.
    const nodeId = config.nodeId ?? `node-${randomBytes(4).toString("hex")}`;
    Object.assign(options, createRedisBackends(config.redisUrl, { nodeId, sharded: config.redisSharded, cluster: config.redisCluster, keyPrefix: config.redisKeyPrefix, nodeTtlMs: config.nodeTtlMs }));
  }
  const hasKey = config.jwtSecret !== undefined || config.jwtPublicKey !== undefined || config.jwksUrl !== undefined;
  if (hasKey && config.auth !== "anonymous") {
    options.auth = {
      jwt: {
        ...(config.jwtSecret === undefined ? {} : { secret: config.jwtSecret }),
        ...(config.jwtPublicKey === undefined ? {} : { publicKey: config.jwtPublicKey }),
        ...(config.jwksUrl === undefined ? {} : { jwksUrl: config.jwksUrl }),
        ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
        ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
        clockToleranceSec: config.jwtClockToleranceSec,
      },
      ...(config.auth === "optional" ? { anonymous: true } : {}),
    };
  } else options.auth = { anonymous: true };
  return options;
}

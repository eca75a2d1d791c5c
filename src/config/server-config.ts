import { z } from "zod";
import { readConfigFile } from "./config-file.js";
import { roomEntryName, roomPoliciesSchema } from "./room-policy-config.js";
import { HISTORY_ENVIRONMENT_VARIABLES, historyConfigShape } from "../history/history-config.js";
import { corsOriginProblem } from "../http/api-cors.js";
import { INTEGRATION_ENVIRONMENT_VARIABLES, integrationConfigShape, refineIntegrationConfig } from "../integrations/integration-config.js";
import { PUSHER_ENVIRONMENT_VARIABLES, pusherConfigShape, refinePusherConfig } from "../pusher/pusher-config.js";
import { PROTECTION_ENVIRONMENT_VARIABLES, protectionConfigShape, refineProtectionConfig } from "../protection/protection-config.js";
import { WEB_ENVIRONMENT_VARIABLES, assertDevTokensAllowed, refineWebConfig, webConfigShape } from "./web-config.js";
import { booleanSetting } from "../protocol/boolean-setting.js";

/**
 * The standalone server's settings: an optional JSON or YAML config file, overridden by
 * environment variables. Validated once at startup; a bad value stops the server
 * with a message naming the setting.
 */
const integerFrom = (min: number) => z.coerce.number().int().min(min);
const list = z.union([z.array(z.string()), z.string().transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0))]);

export const serverConfigSchema = z
  .object({
    port: integerFrom(0).max(65_535).default(8080),
    host: z.string().min(1).default("0.0.0.0"),
    path: z.string().startsWith("/").default("/ws"),
    /** "optional": verify a JWT when one is given, else anonymous (needs a key). */
    auth: z.enum(["jwt", "anonymous", "optional"]).optional(),
    jwtSecret: z.string().min(16, "must be at least 16 characters").optional(),
    jwtPublicKey: z.string().min(1).optional(),
    jwksUrl: z.string().url().optional(),
    jwtAudience: z.string().min(1).optional(),
    jwtIssuer: z.string().min(1).optional(),
    jwtClockToleranceSec: integerFrom(0).default(5),
    apiKeys: list.pipe(z.array(z.string().min(16, "each key must be at least 16 characters"))).default([]),
    apiPort: integerFrom(0).max(65_535).optional(),
    apiHost: z.string().min(1).optional(),
    healthPublic: booleanSetting.default(true),
    metricsPublic: booleanSetting.default(true),
    apiRateLimitPerMinute: integerFrom(0).default(600),
    apiCorsOrigins: list
      .pipe(z.array(z.string().superRefine((origin, context) => {
        const problem = corsOriginProblem(origin);
        if (problem !== undefined) context.addIssue({ code: "custom", message: problem });
      })))
      .default([]),
    allowedOrigins: list.optional(),
    redisUrl: z.string().url().optional(),
    redisSharded: booleanSetting.default(false),
    redisCluster: booleanSetting.default(false),
    redisKeyPrefix: z.string().min(1).max(64).regex(/^[^{}]*$/, "must not contain braces").default("switchboard:"),
    nodeTtlMs: integerFrom(1_000).default(4_000),
    workers: integerFrom(1).max(256).default(1),
    maxPayload: integerFrom(1).default(65_536),
    heartbeatMs: integerFrom(1).default(25_000),
    idleTimeoutMs: integerFrom(0).default(0),
    multipleRooms: booleanSetting.default(true),
    clusterLifecycleEvents: booleanSetting.default(false),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    nodeId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    rooms: roomPoliciesSchema.default([]),
    ...integrationConfigShape,
    ...protectionConfigShape,
    ...historyConfigShape,
    ...webConfigShape,
    ...pusherConfigShape,
  })
  .strict()
  .superRefine((config, context) => {
    const keys = [config.jwtSecret, config.jwtPublicKey, config.jwksUrl].filter((value) => value !== undefined).length;
    if (keys > 1) context.addIssue({ code: "custom", path: ["jwtSecret"], message: "set only one of SWITCHBOARD_JWT_SECRET, SWITCHBOARD_JWT_PUBLIC_KEY, SWITCHBOARD_JWKS_URL" });
    if ((config.auth === "jwt" || config.auth === "optional") && keys === 0) {
      context.addIssue({ code: "custom", path: ["auth"], message: `SWITCHBOARD_AUTH=${config.auth} needs SWITCHBOARD_JWT_SECRET, SWITCHBOARD_JWT_PUBLIC_KEY or SWITCHBOARD_JWKS_URL` });
    }
    if (config.auth === "anonymous" && keys > 0) context.addIssue({ code: "custom", path: ["auth"], message: "SWITCHBOARD_AUTH=anonymous conflicts with a configured JWT key" });
  })
  .superRefine(refineIntegrationConfig)
  .superRefine(refineProtectionConfig)
  .superRefine(refineWebConfig)
  .superRefine(refinePusherConfig);

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Environment variable for each setting; the first listed name loses to later ones. */
export const ENVIRONMENT_VARIABLES: Record<keyof ServerConfig, string[]> = {
  port: ["PORT", "SWITCHBOARD_PORT"],
  host: ["SWITCHBOARD_HOST"],
  path: ["SWITCHBOARD_PATH"],
  auth: ["SWITCHBOARD_AUTH"],
  jwtSecret: ["SWITCHBOARD_JWT_SECRET"],
  jwtPublicKey: ["SWITCHBOARD_JWT_PUBLIC_KEY"],
  jwksUrl: ["SWITCHBOARD_JWKS_URL"],
  jwtAudience: ["SWITCHBOARD_JWT_AUDIENCE"],
  jwtIssuer: ["SWITCHBOARD_JWT_ISSUER"],
  jwtClockToleranceSec: ["SWITCHBOARD_JWT_CLOCK_TOLERANCE_SEC"],
  apiKeys: ["SWITCHBOARD_API_KEY"],
  apiPort: ["SWITCHBOARD_API_PORT"],
  apiHost: ["SWITCHBOARD_API_HOST"],
  healthPublic: ["SWITCHBOARD_HEALTH_PUBLIC"],
  metricsPublic: ["SWITCHBOARD_METRICS_PUBLIC"],
  apiRateLimitPerMinute: ["SWITCHBOARD_API_RATE_LIMIT"],
  apiCorsOrigins: ["SWITCHBOARD_API_CORS_ORIGINS"],
  allowedOrigins: ["SWITCHBOARD_ALLOWED_ORIGINS"],
  redisUrl: ["REDIS_URL", "SWITCHBOARD_REDIS_URL"],
  redisSharded: ["SWITCHBOARD_REDIS_SHARDED"],
  redisCluster: ["SWITCHBOARD_REDIS_CLUSTER"],
  redisKeyPrefix: ["SWITCHBOARD_REDIS_KEY_PREFIX"],
  nodeTtlMs: ["SWITCHBOARD_NODE_TTL_MS"],
  workers: ["SWITCHBOARD_WORKERS"],
  maxPayload: ["SWITCHBOARD_MAX_PAYLOAD"],
  heartbeatMs: ["SWITCHBOARD_HEARTBEAT_MS"],
  idleTimeoutMs: ["SWITCHBOARD_IDLE_TIMEOUT_MS"],
  multipleRooms: ["SWITCHBOARD_MULTIPLE_ROOMS"],
  clusterLifecycleEvents: ["SWITCHBOARD_CLUSTER_LIFECYCLE_EVENTS"],
  logLevel: ["SWITCHBOARD_LOG_LEVEL"],
  nodeId: ["SWITCHBOARD_NODE_ID"],
  rooms: ["SWITCHBOARD_ROOMS"],
  ...INTEGRATION_ENVIRONMENT_VARIABLES,
  ...PROTECTION_ENVIRONMENT_VARIABLES,
  ...HISTORY_ENVIRONMENT_VARIABLES,
  ...WEB_ENVIRONMENT_VARIABLES,
  ...PUSHER_ENVIRONMENT_VARIABLES,
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function settingName(key: string): string {
  const names = ENVIRONMENT_VARIABLES[key as keyof ServerConfig];
  return names === undefined ? key : `${names[names.length - 1]} (config file: ${key})`;
}

/** Where an issue is: the setting, and for a room policy the entry by index and match. */
function issueName(path: readonly PropertyKey[], merged: Record<string, unknown>): string {
  if (path.length === 0) return "config";
  if (path[0] === "rooms" && typeof path[1] === "number") return [roomEntryName(path[1], merged.rooms), path.slice(2).map(String).join(".")].filter((part) => part.length > 0).join(" ");
  return settingName(String(path[0]));
}

/** Reads the config file named by `configPath` or SWITCHBOARD_CONFIG, then applies the environment. */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env, configPath: string | undefined = env.SWITCHBOARD_CONFIG): ServerConfig {
  let fromFile: Record<string, unknown> = {};
  if (configPath !== undefined && configPath.length > 0) {
    try {
      fromFile = readConfigFile(configPath);
    } catch (error) {
      throw new ConfigError(`SWITCHBOARD_CONFIG: cannot read ${configPath}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, names] of Object.entries(ENVIRONMENT_VARIABLES)) {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== "") merged[key] = value;
    }
  }
  const parsed = serverConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issueName(issue.path, merged)}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  if (parsed.data.auth === undefined && env.NODE_ENV === "production" && parsed.data.connectHookUrl === undefined && parsed.data.jwtSecret === undefined && parsed.data.jwtPublicKey === undefined && parsed.data.jwksUrl === undefined) {
    throw new ConfigError("SWITCHBOARD_AUTH: NODE_ENV=production requires an explicit auth choice: set SWITCHBOARD_JWT_SECRET (or a public key / JWKS URL), or SWITCHBOARD_AUTH=anonymous.");
  }
  const devTokens = assertDevTokensAllowed(parsed.data, env);
  if (devTokens !== undefined) throw new ConfigError(devTokens);
  return parsed.data;
}

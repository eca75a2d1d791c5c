import { z } from "zod";
import { jsonListSetting } from "../protocol/json-list-setting.js";
import { backendUrlProblem } from "./backend-url.js";
import { booleanSetting } from "../protocol/boolean-setting.js";

/**
 * The standalone server's integration settings, merged into the server config
 * schema (src/config/server-config.ts), so teams that do not write Node can use
 * the change feed, proxy, hooks and webhooks with configuration alone.
 */
const list = z.union([z.array(z.string()), z.string().transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0))]);
const httpUrl = z.string().url().regex(/^https?:\/\//, "must be an http(s) URL");

const filterValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * One mapping of the change feed: `channel` in the notify mode, `table` in the
 * outbox and logical modes (refineIntegrationConfig checks which).
 */
export const changeFeedMappingSchema = z
  .object({
    channel: z.string().min(1).max(63).optional(),
    table: z.string().regex(/^[^.]+(\.[^.]+)?$/, "must be a table name or schema.name").optional(),
    room: z.string().min(1),
    event: z.string().min(1).optional(),
    deliver: z.enum(["publish", "event"]).optional(),
    ops: z.array(z.enum(["insert", "update", "delete"])).min(1).optional(),
    filter: z.record(z.string(), z.union([filterValue, z.array(filterValue)])).optional(),
  })
  .strict();

/** A JSON array in the config file, or the same array as a JSON string in the environment. */
const feedList = jsonListSetting(changeFeedMappingSchema, 'must be a JSON array such as [{"channel":"market_changes","room":"market:{market_id}"}]');

export const integrationConfigShape = {
  pgUrl: z.string().min(1).optional(),
  pgFeeds: feedList.optional(),
  pgLeaderPollMs: z.coerce.number().int().min(10).default(2_000),
  pgFeedMode: z.enum(["notify", "outbox", "logical"]).default("notify"),
  pgOutboxTable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, "must be a table name or schema.name").default("switchboard_outbox"),
  pgOutboxPollMs: z.coerce.number().int().min(10).default(1_000),
  pgSlot: z.string().regex(/^[a-z0-9_]{1,63}$/, "must be 1-63 lower-case letters, digits or _").default("switchboard"),
  pgPublication: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a plain identifier").default("switchboard"),
  pgSlotLagWarnBytes: z.coerce.number().int().min(0).default(256 * 1024 * 1024),
  integrationSecret: z.string().min(16, "must be at least 16 characters").optional(),
  backendTimeoutMs: z.coerce.number().int().min(1).default(5_000),
  proxyUrl: httpUrl.optional(),
  proxyEvents: list.default([]),
  proxyIdempotentEvents: list.default([]),
  proxyForwardToken: booleanSetting.default(false),
  backendAllowLinkLocal: booleanSetting.default(false),
  connectHookUrl: httpUrl.optional(),
  joinHookUrl: httpUrl.optional(),
  webhookUrl: httpUrl.optional(),
  webhookEvents: z
    .union([z.array(z.enum(["connect", "disconnect", "join", "leave"])), list.pipe(z.array(z.enum(["connect", "disconnect", "join", "leave"])))])
    .default(["connect", "disconnect", "join", "leave"]),
};

export const INTEGRATION_ENVIRONMENT_VARIABLES = {
  pgUrl: ["SWITCHBOARD_PG_URL"],
  pgFeeds: ["SWITCHBOARD_PG_FEEDS"],
  pgLeaderPollMs: ["SWITCHBOARD_PG_LEADER_POLL_MS"],
  pgFeedMode: ["SWITCHBOARD_PG_FEED_MODE"],
  pgOutboxTable: ["SWITCHBOARD_PG_OUTBOX_TABLE"],
  pgOutboxPollMs: ["SWITCHBOARD_PG_OUTBOX_POLL_MS"],
  pgSlot: ["SWITCHBOARD_PG_SLOT"],
  pgPublication: ["SWITCHBOARD_PG_PUBLICATION"],
  pgSlotLagWarnBytes: ["SWITCHBOARD_PG_SLOT_LAG_WARN_BYTES"],
  integrationSecret: ["SWITCHBOARD_INTEGRATION_SECRET"],
  backendTimeoutMs: ["SWITCHBOARD_BACKEND_TIMEOUT_MS"],
  proxyUrl: ["SWITCHBOARD_PROXY_URL"],
  proxyEvents: ["SWITCHBOARD_PROXY_EVENTS"],
  proxyIdempotentEvents: ["SWITCHBOARD_PROXY_IDEMPOTENT_EVENTS"],
  proxyForwardToken: ["SWITCHBOARD_PROXY_FORWARD_TOKEN"],
  backendAllowLinkLocal: ["SWITCHBOARD_BACKEND_ALLOW_LINK_LOCAL"],
  connectHookUrl: ["SWITCHBOARD_CONNECT_HOOK_URL"],
  joinHookUrl: ["SWITCHBOARD_JOIN_HOOK_URL"],
  webhookUrl: ["SWITCHBOARD_WEBHOOK_URL"],
  webhookEvents: ["SWITCHBOARD_WEBHOOK_EVENTS"],
} satisfies Record<keyof typeof integrationConfigShape, string[]>;

export interface IntegrationConfig {
  pgUrl?: string | undefined;
  pgFeeds?: z.infer<typeof changeFeedMappingSchema>[] | undefined;
  pgLeaderPollMs: number;
  pgFeedMode: "notify" | "outbox" | "logical";
  pgOutboxTable: string;
  pgOutboxPollMs: number;
  pgSlot: string;
  pgPublication: string;
  pgSlotLagWarnBytes: number;
  integrationSecret?: string | undefined;
  backendTimeoutMs: number;
  proxyUrl?: string | undefined;
  proxyEvents: string[];
  proxyIdempotentEvents: string[];
  proxyForwardToken: boolean;
  backendAllowLinkLocal: boolean;
  connectHookUrl?: string | undefined;
  joinHookUrl?: string | undefined;
  webhookUrl?: string | undefined;
  webhookEvents: Array<"connect" | "disconnect" | "join" | "leave">;
}

type Issue = { code: "custom"; path: string[]; message: string };

/** Cross-field checks, with messages naming the environment variables. */
export function refineIntegrationConfig(config: IntegrationConfig & { auth?: string | undefined }, context: { addIssue(issue: Issue): void }): void {
  const issue = (path: string, message: string): void => context.addIssue({ code: "custom", path: [path], message });
  if (config.pgUrl !== undefined && (config.pgFeeds === undefined || config.pgFeeds.length === 0)) issue("pgFeeds", "SWITCHBOARD_PG_URL needs SWITCHBOARD_PG_FEEDS (which channels go to which rooms)");
  if (config.pgFeeds !== undefined && config.pgFeeds.length > 0 && config.pgUrl === undefined) issue("pgUrl", "SWITCHBOARD_PG_FEEDS needs SWITCHBOARD_PG_URL");
  for (const mapping of config.pgFeeds ?? []) {
    if (config.pgFeedMode === "notify" && mapping.channel === undefined) issue("pgFeeds", `every mapping needs a "channel" in SWITCHBOARD_PG_FEED_MODE=notify (or set SWITCHBOARD_PG_FEED_MODE=outbox or logical to map tables)`);
    if (config.pgFeedMode !== "notify" && mapping.table === undefined) issue("pgFeeds", `every mapping needs a "table" in SWITCHBOARD_PG_FEED_MODE=${config.pgFeedMode}`);
    if (config.pgFeedMode !== "notify" && mapping.channel !== undefined) issue("pgFeeds", `"channel" is for SWITCHBOARD_PG_FEED_MODE=notify; map a "table" in ${config.pgFeedMode} mode`);
  }
  if (config.proxyUrl !== undefined && config.proxyEvents.length === 0) issue("proxyEvents", "SWITCHBOARD_PROXY_URL needs SWITCHBOARD_PROXY_EVENTS (event type patterns, e.g. order.*)");
  if (config.proxyEvents.length > 0 && config.proxyUrl === undefined) issue("proxyUrl", "SWITCHBOARD_PROXY_EVENTS needs SWITCHBOARD_PROXY_URL");
  const callsBackend = config.proxyUrl !== undefined || config.connectHookUrl !== undefined || config.joinHookUrl !== undefined || config.webhookUrl !== undefined;
  if (callsBackend && config.integrationSecret === undefined) issue("integrationSecret", "backend calls are signed: set SWITCHBOARD_INTEGRATION_SECRET (a shared secret of at least 16 characters)");
  const urls: Array<[keyof IntegrationConfig, string | undefined, boolean]> = [
    ["proxyUrl", config.proxyUrl, config.proxyForwardToken],
    ["connectHookUrl", config.connectHookUrl, true],
    ["joinHookUrl", config.joinHookUrl, false],
    ["webhookUrl", config.webhookUrl, false],
  ];
  for (const [path, url, carriesCredentials] of urls) {
    const problem = url === undefined ? undefined : backendUrlProblem(url, { carriesCredentials, allowLinkLocal: config.backendAllowLinkLocal });
    if (problem !== undefined) issue(path, problem);
  }
  if (config.connectHookUrl !== undefined && config.auth !== undefined) issue("connectHookUrl", "SWITCHBOARD_CONNECT_HOOK_URL decides who connects; leave SWITCHBOARD_AUTH unset");
}

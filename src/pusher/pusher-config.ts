import { z } from "zod";
import { jsonListSetting } from "../protocol/json-list-setting.js";
import type { PusherAppOptions, PusherOptions } from "./pusher-options.js";
import { booleanSetting } from "../protocol/boolean-setting.js";

/**
 * The standalone server's Pusher settings, merged into the server config schema
 * (src/config/server-config.ts). Apps come from `pusherApps` (a JSON list in the
 * config file or in SWITCHBOARD_PUSHER_APPS) and/or one app from
 * SWITCHBOARD_PUSHER_APP_ID / _KEY / _SECRET, as Soketi's default app is set.
 */
const webhookEvent = z.enum(["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event", "cache_miss"]);

const appSchema = z
  .object({
    id: z.coerce.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    key: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/),
    secret: z.string().min(8, "must be at least 8 characters"),
    clientEvents: z.boolean().optional(),
    clientEventsPerSecond: z.number().int().min(1).optional(),
    maxConnections: z.number().int().min(0).optional(),
    roomPrefix: z.string().regex(/^[A-Za-z0-9_\-:.@=+~]{0,32}$/).optional(),
    webhooks: z.array(z.object({ url: z.string().regex(/^https?:\/\//, "must be an http(s) URL"), events: z.array(webhookEvent).optional() }).strict()).optional(),
  })
  .strict();

const appList = jsonListSetting(appSchema, 'must be a JSON array such as [{"id":"1","key":"app-key","secret":"app-secret"}]');

export const pusherConfigShape = {
  pusherApps: appList.optional(),
  pusherAppId: z.coerce.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  pusherAppKey: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/).optional(),
  pusherAppSecret: z.string().min(8, "must be at least 8 characters").optional(),
  pusherClientEvents: booleanSetting.optional(),
  pusherMaxConnections: z.coerce.number().int().min(0).optional(),
  pusherWebhookUrl: z.string().regex(/^https?:\/\//, "must be an http(s) URL").optional(),
  pusherPath: z.string().startsWith("/").default("/app"),
  pusherActivityTimeoutSec: z.coerce.number().int().min(1).default(120),
};

export const PUSHER_ENVIRONMENT_VARIABLES: Record<keyof typeof pusherConfigShape, string[]> = {
  pusherApps: ["SWITCHBOARD_PUSHER_APPS"],
  pusherAppId: ["SWITCHBOARD_PUSHER_APP_ID"],
  pusherAppKey: ["SWITCHBOARD_PUSHER_APP_KEY"],
  pusherAppSecret: ["SWITCHBOARD_PUSHER_APP_SECRET"],
  pusherClientEvents: ["SWITCHBOARD_PUSHER_CLIENT_EVENTS"],
  pusherMaxConnections: ["SWITCHBOARD_PUSHER_MAX_CONNECTIONS"],
  pusherWebhookUrl: ["SWITCHBOARD_PUSHER_WEBHOOK_URL"],
  pusherPath: ["SWITCHBOARD_PUSHER_PATH"],
  pusherActivityTimeoutSec: ["SWITCHBOARD_PUSHER_ACTIVITY_TIMEOUT"],
};

type PusherConfig = z.infer<z.ZodObject<typeof pusherConfigShape>>;

export function refinePusherConfig(config: PusherConfig, context: z.RefinementCtx): void {
  const single = [config.pusherAppId, config.pusherAppKey, config.pusherAppSecret].filter((value) => value !== undefined).length;
  if (single > 0 && single < 3) context.addIssue({ code: "custom", path: ["pusherAppId"], message: "set all three of SWITCHBOARD_PUSHER_APP_ID, SWITCHBOARD_PUSHER_APP_KEY and SWITCHBOARD_PUSHER_APP_SECRET" });
}

/** The Pusher options of a validated config, or undefined when no app is configured. */
export function pusherOptionsFromConfig(config: PusherConfig): PusherOptions | undefined {
  const apps: PusherAppOptions[] = [...(config.pusherApps ?? [])].map((app) => ({ ...app }) as PusherAppOptions);
  if (config.pusherAppId !== undefined && config.pusherAppKey !== undefined && config.pusherAppSecret !== undefined) {
    const app: PusherAppOptions = { id: config.pusherAppId, key: config.pusherAppKey, secret: config.pusherAppSecret };
    if (config.pusherClientEvents !== undefined) app.clientEvents = config.pusherClientEvents;
    if (config.pusherMaxConnections !== undefined) app.maxConnections = config.pusherMaxConnections;
    if (config.pusherWebhookUrl !== undefined) app.webhooks = [{ url: config.pusherWebhookUrl }];
    apps.push(app);
  }
  if (apps.length === 0) return undefined;
  return { apps, path: config.pusherPath, activityTimeoutSec: config.pusherActivityTimeoutSec };
}

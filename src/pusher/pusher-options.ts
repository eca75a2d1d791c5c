/** One Pusher app: what Pusher clients and server SDKs are configured with. */
export interface PusherAppOptions {
  /** The app id of the HTTP API path `/apps/{id}/…`. */
  id: string;
  /** The public key clients connect with (`/app/{key}`). */
  key: string;
  secret: string;
  /** Whether clients may send `client-*` events on private and presence channels. Default false, as on Pusher. */
  clientEvents?: boolean;
  /** Client events a connection may send per second (burst the same); more get error 4301. Default 10. */
  clientEventsPerSecond?: number;
  /** Connections of this app on one node; 0 is no cap. Over it the connection is closed with 4004. Default 0. */
  maxConnections?: number;
  /**
   * Prepended to every channel name to make its room name. Apps with different
   * prefixes never share a room; the default "" makes a channel the room of the
   * same name, so native clients and the server API reach it by that name.
   */
  roomPrefix?: string;
  /** Webhook endpoints, signed with this app's key and secret. */
  webhooks?: PusherWebhookOptions[];
}

export type PusherWebhookEvent = "channel_occupied" | "channel_vacated" | "member_added" | "member_removed" | "client_event" | "cache_miss";

export interface PusherWebhookOptions {
  url: string;
  /** Which events to send. Default all. */
  events?: PusherWebhookEvent[];
}

export interface PusherOptions {
  apps: PusherAppOptions[];
  /** Where clients connect: `{path}/{key}`. Default "/app". */
  path?: string;
  /** Seconds of silence after which a client pings (sent in `pusher:connection_established`). Default 120. */
  activityTimeoutSec?: number;
  /** Largest event `data` in bytes, from clients and the HTTP API. Default 10240, as on Pusher. */
  maxEventBytes?: number;
  /** How far an HTTP API request's `auth_timestamp` may be from the server's clock, in seconds. Default 600. */
  timestampToleranceSec?: number;
  /** Webhook batching: how long an event waits for companions, in ms. Default 1000. */
  webhookFlushMs?: number;
  /** Retries of a failed webhook batch, with doubling delays from `webhookRetryDelayMs`. Default 5 and 500. */
  webhookRetries?: number;
  webhookRetryDelayMs?: number;
}

export interface ResolvedPusherApp {
  id: string;
  key: string;
  secret: string;
  clientEvents: boolean;
  clientEventsPerSecond: number;
  maxConnections: number;
  roomPrefix: string;
  webhooks: Array<{ url: string; events: ReadonlySet<PusherWebhookEvent> }>;
}

export interface ResolvedPusherOptions {
  apps: ResolvedPusherApp[];
  path: string;
  activityTimeoutSec: number;
  maxEventBytes: number;
  timestampToleranceSec: number;
  webhookFlushMs: number;
  webhookRetries: number;
  webhookRetryDelayMs: number;
}

const WEBHOOK_EVENTS: readonly PusherWebhookEvent[] = ["channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event", "cache_miss"];

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`Pusher option "${name}" must be an integer of at least ${min}, got ${String(value)}`);
  return value;
}

function text(name: string, value: unknown, pattern: RegExp): string {
  if (typeof value !== "string" || !pattern.test(value)) throw new TypeError(`Pusher option "${name}" must match ${String(pattern)}, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates the options once, with messages that name the setting. */
export function resolvePusherOptions(options: PusherOptions): ResolvedPusherOptions {
  if (!Array.isArray(options?.apps) || options.apps.length === 0) throw new TypeError('Pusher option "apps" must list at least one app');
  const apps = options.apps.map((app, index): ResolvedPusherApp => {
    const at = `apps[${index}]`;
    const resolved: ResolvedPusherApp = {
      id: text(`${at}.id`, app.id, /^[A-Za-z0-9_.-]{1,64}$/),
      key: text(`${at}.key`, app.key, /^[A-Za-z0-9_.-]{1,128}$/),
      secret: text(`${at}.secret`, app.secret, /^.{8,}$/),
      clientEvents: app.clientEvents ?? false,
      clientEventsPerSecond: integer(`${at}.clientEventsPerSecond`, app.clientEventsPerSecond, 10, 1),
      maxConnections: integer(`${at}.maxConnections`, app.maxConnections, 0, 0),
      roomPrefix: app.roomPrefix === undefined ? "" : text(`${at}.roomPrefix`, app.roomPrefix, /^[A-Za-z0-9_\-:.@=+~]{0,32}$/),
      webhooks: (app.webhooks ?? []).map((hook, hookIndex) => {
        if (typeof hook?.url !== "string" || !/^https?:\/\//.test(hook.url)) throw new TypeError(`Pusher option "${at}.webhooks[${hookIndex}].url" must be an http(s) URL`);
        const events = hook.events ?? WEBHOOK_EVENTS;
        for (const event of events) if (!WEBHOOK_EVENTS.includes(event)) throw new TypeError(`Pusher option "${at}.webhooks[${hookIndex}].events": unknown event ${JSON.stringify(event)}`);
        return { url: hook.url, events: new Set(events) };
      }),
    };
    if (typeof app.clientEvents !== "undefined" && typeof app.clientEvents !== "boolean") throw new TypeError(`Pusher option "${at}.clientEvents" must be a boolean`);
    return resolved;
  });
  for (const field of ["id", "key", "roomPrefix"] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[field])) throw new TypeError(`Pusher option "apps": two apps have the same ${field} ${JSON.stringify(app[field])}${field === "roomPrefix" ? " (apps sharing rooms must be one app; give each its own roomPrefix)" : ""}`);
      seen.add(app[field]);
    }
  }
  const path = options.path ?? "/app";
  if (!path.startsWith("/")) throw new TypeError(`Pusher option "path" must start with "/", got ${path}`);
  return {
    apps,
    path,
    activityTimeoutSec: integer("activityTimeoutSec", options.activityTimeoutSec, 120, 1),
    maxEventBytes: integer("maxEventBytes", options.maxEventBytes, 10_240, 1),
    timestampToleranceSec: integer("timestampToleranceSec", options.timestampToleranceSec, 600, 1),
    webhookFlushMs: integer("webhookFlushMs", options.webhookFlushMs, 1_000, 1),
    webhookRetries: integer("webhookRetries", options.webhookRetries, 5, 0),
    webhookRetryDelayMs: integer("webhookRetryDelayMs", options.webhookRetryDelayMs, 500, 1),
  };
}

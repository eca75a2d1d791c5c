import type { FastifyInstance } from "fastify";
import type { RoomAccessSubject } from "../rooms/room-policy.js";
import type { Switchboard } from "../server/switchboard.js";
import { PusherAdapter } from "./pusher-adapter.js";
import { PusherApps } from "./pusher-apps.js";
import { pusherHttpApi } from "./pusher-http-api.js";
import { resolvePusherOptions } from "./pusher-options.js";
import type { PusherOptions, ResolvedPusherOptions } from "./pusher-options.js";
import { PusherWebhooks } from "./pusher-webhooks.js";

export interface AttachPusherOptions extends PusherOptions {
  /**
   * Whether a native (non-Pusher) client may join the room of a private or
   * presence channel. Default: never; Pusher connections get in with a valid
   * channel signature.
   */
  allowNative?: (subject: RoomAccessSubject, room: string) => boolean | Promise<boolean>;
}

/** The Pusher protocol on one Switchboard node. */
export interface PusherServer {
  readonly options: ResolvedPusherOptions;
  readonly adapter: PusherAdapter;
  readonly webhooks: PusherWebhooks;
  /** The HTTP API (`/apps/{app_id}/…`), for `fastifyApp.register(pusher.plugin)`. */
  plugin(app: FastifyInstance): Promise<void>;
  /** Sends the webhooks still queued; call after `sb.close()`. */
  close(): Promise<void>;
}

/**
 * Speaks the Pusher Channels protocol on `sb`: mounts the WebSocket adapter on
 * `/app` (clients connect to `/app/{key}?protocol=7`), starts the webhooks, and
 * returns the HTTP API as a Fastify plugin. See docs/pusher.md.
 */
export function attachPusher(sb: Switchboard, options: AttachPusherOptions): PusherServer {
  const resolved = resolvePusherOptions(options);
  const apps = new PusherApps(resolved.apps);
  const logger = sb.logger.child({ protocol: "pusher" });
  const webhooks = new PusherWebhooks(apps, resolved, logger);
  const adapter = new PusherAdapter(apps, resolved, webhooks, logger, options.allowNative);
  sb.mount(resolved.path, adapter);
  webhooks.attach(sb);
  const plugin = pusherHttpApi(apps, resolved, {
    publish: (room, data, publishOptions) => sb.publish(room, data, publishOptions),
    emitToUser: (userId, event, data) => sb.toUser(userId).emit(event, data),
    presence: (room) => sb.presence(room),
    rooms: () => sb.presenceStore.rooms(),
    disconnectUser: (userId, code, reason) => sb.disconnect({ userId, code, reason }),
  });
  return { options: resolved, adapter, webhooks, plugin, close: () => webhooks.close() };
}

import PusherModule from "pusher-js";
import type * as PusherTypes from "pusher-js/types/src/core/pusher.js";
import type { Channel, Options } from "pusher-js";
import PusherServer from "pusher";
import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";

/** pusher-js's types describe an ES module; at run time its CommonJS export is the class itself. */
export type Pusher = PusherTypes.default;
const PusherJs = PusherModule as unknown as new (key: string, options: Options) => Pusher;

export const APP = { id: "1001", key: "test-app-key", secret: "test-app-secret-0123" };

/** The standalone server with one Pusher app configured the way deploy scripts do: environment variables. */
export function startPusherServer(env: Record<string, string> = {}): Promise<ApiServer> {
  return startApiServer({
    SWITCHBOARD_PUSHER_APP_ID: APP.id,
    SWITCHBOARD_PUSHER_APP_KEY: APP.key,
    SWITCHBOARD_PUSHER_APP_SECRET: APP.secret,
    SWITCHBOARD_PUSHER_CLIENT_EVENTS: "true",
    ...env,
  });
}

/** Where a node serves: the standalone server's, or any server's base URL. */
export type NodeAddress = Pick<ApiServer, "apiUrl">;

export function portOf(server: NodeAddress): number {
  return new URL(server.apiUrl).port === "" ? 80 : Number(new URL(server.apiUrl).port);
}

/** The `pusher` server SDK pointed at a node, as a Node backend would be. */
export function serverSdk(server: NodeAddress, secret = APP.secret): PusherServer {
  return new PusherServer({ appId: APP.id, key: APP.key, secret, host: "127.0.0.1", port: String(portOf(server)), useTLS: false });
}

export interface PusherClientOptions {
  user?: { id: string; info?: unknown };
  sdk?: PusherServer;
  extra?: Partial<Options>;
}

/**
 * pusher-js in Node pointed at a node. Channel authorization is a real backend's
 * job: here the backend is the `pusher` SDK, called through pusher-js's
 * customHandler instead of over HTTP.
 */
export function pusherClient(server: NodeAddress, options: PusherClientOptions = {}): Pusher {
  const sdk = options.sdk ?? serverSdk(server);
  return new PusherJs(APP.key, {
    cluster: "",
    wsHost: "127.0.0.1",
    wsPort: portOf(server),
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    channelAuthorization: {
      endpoint: "unused",
      transport: "ajax",
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (error: Error | null, data: PusherServer.ChannelAuthResponse | null) => void) => {
        try {
          const presence = channelName.startsWith("presence-") ? { user_id: options.user?.id ?? "anonymous", ...(options.user?.info === undefined ? {} : { user_info: options.user.info as Record<string, unknown> }) } : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, presence));
        } catch (error) {
          callback(error as Error, null);
        }
      },
    },
    userAuthentication: {
      endpoint: "unused",
      transport: "ajax",
      customHandler: ({ socketId }: { socketId: string }, callback: (error: Error | null, data: PusherServer.UserAuthResponse | null) => void) => {
        try {
          callback(null, sdk.authenticateUser(socketId, { id: options.user?.id ?? "anonymous", ...(options.user?.info === undefined ? {} : { user_info: options.user.info }) }));
        } catch (error) {
          callback(error as Error, null);
        }
      },
    },
    ...options.extra,
  });
}

/** Resolves when pusher-js reports the connection as connected. */
export function connected(client: Pusher, timeoutMs = 5_000): Promise<void> {
  if (client.connection.state === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pusher-js did not connect (state ${client.connection.state})`)), timeoutMs);
    client.connection.bind("connected", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A channel, the client (global events) or the signed-in user. */
export interface Bindable {
  bind(event: string, callback: (data: never) => void): unknown;
  unbind(event: string, callback: (data: never) => void): unknown;
}

/** Resolves with the data of the next `event` on the channel (or on the client's global binding). */
export function nextEvent<T = unknown>(target: Bindable, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const handler = (data: T): void => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    target.bind(event, handler);
  });
}

/** Subscribes and waits for pusher:subscription_succeeded; rejects on pusher:subscription_error. */
export function subscribed(client: Pusher, channelName: string, timeoutMs = 5_000): Promise<{ channel: Channel; data: unknown }> {
  const channel = client.subscribe(channelName);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no subscription to ${channelName} within ${timeoutMs} ms`)), timeoutMs);
    channel.bind("pusher:subscription_succeeded", (data: unknown) => {
      clearTimeout(timer);
      resolve({ channel, data });
    });
    channel.bind("pusher:subscription_error", (error: unknown) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`subscription to ${channelName} failed: ${JSON.stringify(error)}`), { detail: error }));
    });
  });
}

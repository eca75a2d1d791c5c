import { randomInt } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../log/logger.js";
import type { RoomAccessSubject } from "../rooms/room-policy.js";
import type { NativeServerFrame, RoomGuard, WireAdapter, WireConnection, WireSession } from "../wire/wire-adapter.js";
import type { PusherApps } from "./pusher-apps.js";
import { channelKind } from "./pusher-channels.js";
import { PusherCloseCode } from "./pusher-close-codes.js";
import { PusherConnection } from "./pusher-connection.js";
import { errorFrame, eventFrame, publicationFrame } from "./pusher-frames.js";
import type { ResolvedPusherOptions } from "./pusher-options.js";
import type { PusherWebhooks } from "./pusher-webhooks.js";

/** Protocol versions with close codes (6 and later speak the same frames as 7). */
const SUPPORTED_PROTOCOLS = new Set(["5", "6", "7"]);

/**
 * The Pusher Channels protocol 7 as a wire adapter, mounted on `/app`: clients
 * connect to `/app/{key}?protocol=7`. Channels are rooms; every subscription and
 * client event goes through Switchboard's own join and publish.
 */
export class PusherAdapter implements WireAdapter {
  readonly name = "pusher";
  readonly binary = false;
  readonly roomGuards: RoomGuard[];
  private readonly connections = new Map<string, PusherConnection>();

  constructor(
    private readonly apps: PusherApps,
    private readonly options: ResolvedPusherOptions,
    private readonly webhooks: PusherWebhooks,
    private readonly logger: Logger,
    /** Lets native clients into private and presence channels' rooms too; default: only authorized Pusher connections. */
    private readonly allowNative?: (subject: RoomAccessSubject, room: string) => boolean | Promise<boolean>,
  ) {
    // A private or presence channel's room admits only connections whose channel authorization was verified.
    const rule = (subject: RoomAccessSubject, room: string): boolean | Promise<boolean> => {
      const connection = this.connections.get(subject.id);
      if (connection !== undefined) return connection.isAuthorized(room);
      return this.allowNative?.(subject, room) ?? false;
    };
    this.roomGuards = apps.list.flatMap((app) => [
      { match: `${app.roomPrefix}private-*`, join: rule },
      { match: `${app.roomPrefix}presence-*`, join: rule },
    ]);
  }

  /** Pusher socket ids are `digits.digits`; server SDKs check the format. */
  connectionId(): string {
    return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
  }

  encodeShared(frame: NativeServerFrame): Buffer | "skip" | "each" {
    if (frame.room === undefined) return "each";
    const owner = this.apps.channelOf(frame.room);
    if (owner === undefined) return "skip";
    if (frame.type === "message") return Buffer.from(publicationFrame(frame, owner.channel));
    if (frame.type === "presence") return channelKind(owner.channel) === "presence" ? "each" : "skip";
    if (frame.type === "reply" || frame.type === "error" || frame.type === "welcome" || frame.type === "pong") return "each";
    // A server-pushed event to the room (`sb.to(room).emit(type, data)`).
    return Buffer.from(eventFrame(frame.type, owner.channel, frame.data));
  }

  open(session: WireSession, request: IncomingMessage): WireConnection {
    const url = new URL(request.url ?? "/", "http://localhost");
    const key = decodeURIComponent(url.pathname.slice(this.options.path.length + 1));
    const refuse = (code: number, message: string): WireConnection => {
      session.send(errorFrame(code, message));
      session.close(code, message);
      return { receive: () => undefined, deliver: () => undefined };
    };
    const app = this.apps.withKey(key);
    if (key.length === 0 || key.includes("/")) return refuse(PusherCloseCode.pathNotFound, "The path must be /app/{key}.");
    if (app === undefined) return refuse(PusherCloseCode.appNotFound, `App key ${key} not in this cluster.`);
    const protocol = url.searchParams.get("protocol");
    if (protocol === null) return refuse(PusherCloseCode.noProtocol, "No protocol version given; connect with ?protocol=7.");
    if (!SUPPORTED_PROTOCOLS.has(protocol)) return refuse(PusherCloseCode.unsupportedProtocol, `Unsupported protocol version ${protocol}; this server speaks 7.`);
    if (!this.apps.connectionOpened(app)) return refuse(PusherCloseCode.overQuota, "The app is over its connection quota.");
    const connection = new PusherConnection(session, app, this.options, this.webhooks, this.logger, () => {
      this.connections.delete(session.connectionId);
      this.apps.connectionClosed(app);
    });
    this.connections.set(session.connectionId, connection);
    connection.greet();
    return connection;
  }

  closeCode(nativeCode: number): number {
    return nativeToPusherClose(nativeCode);
  }
}

/** Close codes of the native table, as the Pusher protocol says the same thing. */
function nativeToPusherClose(code: number): number {
  switch (code) {
    case 1001:
    case 1012:
      return PusherCloseCode.reconnectImmediately;
    case 1008:
    case 1013:
    case 4008:
      return PusherCloseCode.overCapacity;
    case 4003:
    case 4009:
      return PusherCloseCode.unauthorized;
    default:
      return code;
  }
}

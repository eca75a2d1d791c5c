import type { Logger } from "../log/logger.js";
import { ERROR_CODES, SwitchboardError } from "../protocol/error-codes.js";
import type { PresenceConnection, PresenceDiff, PresencePage, PresenceSnapshot } from "../protocol/frames.js";
import { TokenBucket } from "../protection/token-bucket.js";
import type { NativeServerFrame, WireConnection, WireSession } from "../wire/wire-adapter.js";
import { USER_CHANNEL_PREFIX, channelKind, channelNameProblem, isCacheChannel } from "./pusher-channels.js";
import type { ChannelKind } from "./pusher-channels.js";
import { PusherCloseCode } from "./pusher-close-codes.js";
import { errorFrame, eventFrame, publicationFrame, subscriptionErrorFrame } from "./pusher-frames.js";
import type { ResolvedPusherApp, ResolvedPusherOptions } from "./pusher-options.js";
import { channelAuthPayload, userAuthPayload, verifyAuth } from "./pusher-signatures.js";
import type { PusherWebhooks } from "./pusher-webhooks.js";

/**
 * A subscribed channel. Presence channels track each user's connections, so that
 * only a user's first connection is announced as member_added and its last as
 * member_removed; by connection id, so a change seen twice (in the join's
 * snapshot and in a diff) counts once.
 */
interface Subscription {
  kind: ChannelKind;
  /** False until the join's reply: presence diffs wait in `early` until the member list is known. */
  ready: boolean;
  members?: Map<string, { connections: Set<string>; info: unknown }>;
  early?: PresenceDiff[];
}

/** Pages of presence read for a subscription (at 1,000 connections each); Pusher caps presence channels at 100 members. */
const MAX_PRESENCE_PAGES = 10;

interface PusherMessage {
  event?: unknown;
  channel?: unknown;
  data?: unknown;
}

/**
 * One Pusher connection: decodes its frames, checks what the Pusher protocol
 * adds (channel signatures, client-event rules), and asks Switchboard for the
 * rest through the session (join, leave, publish, history).
 */
export class PusherConnection implements WireConnection {
  private readonly channels = new Map<string, Subscription>();
  /** Rooms whose channel authorization was verified: the room guard admits exactly these. */
  private readonly authorized = new Set<string>();
  private readonly clientEvents: TokenBucket;
  private signedInUser: string | undefined;

  constructor(
    private readonly session: WireSession,
    private readonly app: ResolvedPusherApp,
    private readonly options: ResolvedPusherOptions,
    private readonly webhooks: PusherWebhooks,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    this.clientEvents = new TokenBucket(app.clientEventsPerSecond, app.clientEventsPerSecond);
  }

  greet(): void {
    this.session.send(eventFrame("pusher:connection_established", undefined, { socket_id: this.session.connectionId, activity_timeout: this.options.activityTimeoutSec }));
  }

  isAuthorized(room: string): boolean {
    return this.authorized.has(room);
  }

  receive(data: Buffer, isBinary: boolean): void {
    let message: PusherMessage;
    try {
      if (isBinary) throw new Error("binary");
      message = JSON.parse(data.toString("utf8")) as PusherMessage;
      if (typeof message !== "object" || message === null || typeof message.event !== "string") throw new Error("shape");
    } catch {
      this.session.send(errorFrame(null, "Each message must be a JSON object with a string \"event\"."));
      return;
    }
    this.handle(message).catch((error: unknown) => this.reportError(error));
  }

  rateLimited(): void {
    this.session.send(errorFrame(null, "Too many messages; this one was not processed. Slow down."));
  }

  closed(): void {
    this.authorized.clear();
    this.channels.clear();
    this.onClosed();
  }

  deliver(frame: NativeServerFrame): void {
    switch (frame.type) {
      case "presence":
        return this.presenceEvent(frame);
      case "message": {
        const channel = this.channelOfRoom(frame.room);
        if (channel !== undefined) this.session.send(publicationFrame(frame, channel));
        return;
      }
      case "reply":
      case "welcome":
      case "pong":
        return;
      case "error":
        this.session.send(errorFrame(null, (frame.error as { message?: string } | undefined)?.message ?? "Error."));
        return;
      default: {
        // A server-pushed event: to a room, to this user, or to every connection.
        if (frame.room !== undefined) {
          const channel = this.channelOfRoom(frame.room);
          if (channel !== undefined) this.session.send(eventFrame(frame.type, channel, frame.data));
          return;
        }
        const userChannel = this.signedInUser === undefined ? undefined : `${USER_CHANNEL_PREFIX}${this.signedInUser}`;
        this.session.send(eventFrame(frame.type, userChannel, frame.data));
      }
    }
  }

  private async handle(message: PusherMessage): Promise<void> {
    const data = (typeof message.data === "object" && message.data !== null ? message.data : {}) as Record<string, unknown>;
    switch (message.event) {
      case "pusher:ping":
        return this.session.send(JSON.stringify({ event: "pusher:pong", data: {} }));
      case "pusher:pong":
        return;
      case "pusher:subscribe":
        return this.subscribe(data);
      case "pusher:unsubscribe":
        return this.unsubscribe(data);
      case "pusher:signin":
        return this.signin(data);
      default:
        if (typeof message.event === "string" && message.event.startsWith("client-")) return this.clientEvent(message.event, message.channel, message.data);
        this.session.send(errorFrame(null, `Unsupported event ${JSON.stringify(message.event)}.`));
    }
  }

  private async subscribe(data: Record<string, unknown>): Promise<void> {
    const channel = data.channel;
    const problem = channelNameProblem(channel);
    if (typeof channel === "string" && channel.startsWith(USER_CHANNEL_PREFIX)) return this.subscribeUserChannel(channel);
    if (problem !== undefined || typeof channel !== "string") {
      this.session.send(typeof channel === "string" ? subscriptionErrorFrame(channel, "InvalidChannel", problem ?? "", 400) : errorFrame(null, problem ?? "Invalid channel."));
      return;
    }
    if (this.channels.get(channel)?.ready === true) return this.session.send(eventFrame("pusher_internal:subscription_succeeded", channel, this.subscriptionData(channel)));
    if (this.channels.has(channel)) return;
    const kind = channelKind(channel);
    const room = this.app.roomPrefix + channel;
    let meta: Record<string, unknown> | undefined;
    if (kind !== "public") {
      const channelData = typeof data.channel_data === "string" ? data.channel_data : undefined;
      if (!verifyAuth(data.auth, this.app.key, this.app.secret, channelAuthPayload(this.session.connectionId, channel, channelData))) {
        this.session.send(subscriptionErrorFrame(channel, "AuthError", `Invalid signature for ${channel}: expected HMAC-SHA256 of "socket_id:channel${kind === "presence" ? ":channel_data" : ""}" with the app secret.`, 401));
        return;
      }
      if (kind === "presence") {
        const member = this.presenceMember(channelData);
        if (typeof member === "string") return this.session.send(subscriptionErrorFrame(channel, "AuthError", member, 400));
        if (this.session.userId === null) this.session.setUser(member.userId, {});
        else if (this.session.userId !== member.userId) {
          return this.session.send(subscriptionErrorFrame(channel, "AuthError", `This connection is user ${this.session.userId}; one connection is one user (channel_data says ${member.userId}).`, 403));
        }
        meta = { user_info: member.userInfo ?? null };
      }
      this.authorized.add(room);
    }
    const subscription: Subscription = { kind, ready: false };
    if (kind === "presence") {
      subscription.members = new Map();
      subscription.early = [];
    }
    this.channels.set(channel, subscription);
    let joined: { presence?: PresenceSnapshot };
    try {
      joined = (await this.session.request({ type: "join", room, ...(meta === undefined ? {} : { meta }) })) as { presence?: PresenceSnapshot };
      if (kind === "presence") for (const entry of await this.presenceEntries(room, joined.presence)) this.addMember(subscription, entry, false);
    } catch (error) {
      this.channels.delete(channel);
      this.authorized.delete(room);
      if (this.session.rooms.has(room)) await this.session.request({ type: "leave", room }).catch(() => undefined);
      const status = error instanceof SwitchboardError ? ERROR_CODES[error.code].httpStatus : 500;
      const message = error instanceof SwitchboardError ? error.message : "Internal error.";
      this.session.send(subscriptionErrorFrame(channel, status === 401 || status === 403 ? "AuthError" : "SubscriptionError", message, status));
      return;
    }
    subscription.ready = true;
    this.session.send(eventFrame("pusher_internal:subscription_succeeded", channel, this.subscriptionData(channel)));
    // Changes that arrived while the list was read: the ones it already had count once.
    for (const diff of subscription.early ?? []) this.applyDiff(channel, subscription, diff);
    delete subscription.early;
    if (isCacheChannel(channel)) await this.sendCached(channel, room);
  }

  private subscriptionData(channel: string): unknown {
    const members = this.channels.get(channel)?.members;
    if (members === undefined) return {};
    const hash: Record<string, unknown> = {};
    for (const [userId, member] of members) hash[userId] = member.info;
    return { presence: { ids: [...members.keys()], hash, count: members.size } };
  }

  /** Every present connection of the room: the join's first page, then the rest page by page. */
  private async presenceEntries(room: string, snapshot: PresenceSnapshot | undefined): Promise<PresenceConnection[]> {
    const entries = [...(snapshot?.entries ?? [])];
    let cursor = snapshot?.mode === "list" ? (snapshot.cursor ?? null) : undefined;
    for (let page = 0; cursor !== null && page < MAX_PRESENCE_PAGES; page++) {
      const next = (await this.session.request({ type: "presence", room, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })) as PresencePage;
      if (cursor === undefined) entries.length = 0;
      entries.push(...next.entries);
      cursor = next.cursor;
    }
    return entries;
  }

  private addMember(subscription: Subscription, entry: PresenceConnection, announce: boolean): { user_id: string; user_info: unknown } | undefined {
    if (entry.userId === null || subscription.members === undefined) return undefined;
    let member = subscription.members.get(entry.userId);
    const added = member === undefined;
    if (member === undefined) subscription.members.set(entry.userId, (member = { connections: new Set(), info: userInfoOf(entry.meta) }));
    member.connections.add(entry.connectionId);
    return added && announce ? { user_id: entry.userId, user_info: member.info } : undefined;
  }

  private presenceMember(channelData: string | undefined): { userId: string; userInfo: unknown } | string {
    if (channelData === undefined) {
      if (this.signedInUser !== undefined) return { userId: this.signedInUser, userInfo: undefined };
      return "Presence channels need channel_data with a user_id (or a signed-in user).";
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(channelData);
    } catch {
      return "channel_data is not valid JSON.";
    }
    const userId = (parsed as { user_id?: unknown } | null)?.user_id;
    if ((typeof userId !== "string" || userId.length === 0) && typeof userId !== "number") return "channel_data must carry a user_id (a non-empty string or a number).";
    return { userId: String(userId), userInfo: (parsed as { user_info?: unknown }).user_info };
  }

  private async sendCached(channel: string, room: string): Promise<void> {
    const page = (await this.session.request({ type: "history", room, limit: 1 })) as { messages: NativeServerFrame[] };
    const last = page.messages[page.messages.length - 1];
    if (last !== undefined) return this.session.send(publicationFrame(last, channel));
    this.session.send(JSON.stringify({ event: "pusher:cache_miss", channel }));
    this.webhooks.emit(this.app, { name: "cache_miss", channel });
  }

  private subscribeUserChannel(channel: string): void {
    if (this.signedInUser === undefined || channel !== `${USER_CHANNEL_PREFIX}${this.signedInUser}`) {
      this.session.send(subscriptionErrorFrame(channel, "AuthError", "Sign in as this user (pusher:signin) before subscribing to its channel.", 403));
      return;
    }
    this.session.send(eventFrame("pusher_internal:subscription_succeeded", channel, {}));
  }

  private async unsubscribe(data: Record<string, unknown>): Promise<void> {
    const channel = data.channel;
    if (typeof channel !== "string" || !this.channels.has(channel)) return;
    this.channels.delete(channel);
    const room = this.app.roomPrefix + channel;
    try {
      await this.session.request({ type: "leave", room });
    } finally {
      this.authorized.delete(room);
    }
  }

  private async signin(data: Record<string, unknown>): Promise<void> {
    const userData = typeof data.user_data === "string" ? data.user_data : undefined;
    let userId: unknown;
    try {
      userId = userData === undefined ? undefined : (JSON.parse(userData) as { id?: unknown } | null)?.id;
    } catch {
      userId = undefined;
    }
    const valid = userData !== undefined && typeof userId === "string" && userId.length > 0 && verifyAuth(data.auth, this.app.key, this.app.secret, userAuthPayload(this.session.connectionId, userData));
    if (!valid || (this.session.userId !== null && this.session.userId !== userId)) {
      const message = valid ? "This connection is already another user." : "Invalid sign-in: user_data must be JSON with a string id, signed as socket_id::user::user_data with the app secret.";
      this.session.send(errorFrame(PusherCloseCode.unauthorized, message));
      this.session.close(PusherCloseCode.unauthorized, "sign-in failed");
      return;
    }
    this.signedInUser = userId as string;
    if (this.session.userId === null) this.session.setUser(this.signedInUser, {});
    this.session.send(eventFrame("pusher:signin_success", undefined, { user_data: userData }));
  }

  private async clientEvent(event: string, channel: unknown, data: unknown): Promise<void> {
    if (!this.app.clientEvents) return this.session.send(errorFrame(null, "Client events are not enabled for this app (clientEvents in its configuration)."));
    if (typeof channel !== "string" || !this.channels.has(channel)) return this.session.send(errorFrame(null, `Subscribe to ${String(channel)} before sending client events to it.`));
    const kind = channelKind(channel);
    if (kind !== "private" && kind !== "presence") return this.session.send(errorFrame(null, "Client events are allowed on private and presence channels only (not public or encrypted ones)."));
    if (!this.clientEvents.take()) return this.session.send(errorFrame(PusherCloseCode.clientEventRateLimited, `Client event rejected: at most ${this.app.clientEventsPerSecond} a second.`));
    if (Buffer.byteLength(typeof data === "string" ? data : JSON.stringify(data ?? null)) > this.options.maxEventBytes) {
      return this.session.send(errorFrame(null, `Client event data is at most ${this.options.maxEventBytes} bytes.`));
    }
    await this.session.request({ type: "publish", room: this.app.roomPrefix + channel, data: data ?? null, event, echo: false });
    this.webhooks.emit(this.app, {
      name: "client_event",
      channel,
      event,
      data: typeof data === "string" ? data : JSON.stringify(data ?? null),
      socket_id: this.session.connectionId,
      ...(kind === "presence" && this.session.userId !== null ? { user_id: this.session.userId } : {}),
    });
  }

  /** Presence diffs become member_added / member_removed for a user's first and last connection. */
  private presenceEvent(frame: NativeServerFrame): void {
    const channel = this.channelOfRoom(frame.room);
    const subscription = channel === undefined ? undefined : this.channels.get(channel);
    if (channel === undefined || subscription?.members === undefined) return;
    const diff = frame.data as PresenceDiff;
    if (!subscription.ready) subscription.early?.push(diff);
    else this.applyDiff(channel, subscription, diff);
  }

  private applyDiff(channel: string, subscription: Subscription, diff: PresenceDiff): void {
    const members = subscription.members!;
    for (const entry of diff.joined ?? []) {
      const added = this.addMember(subscription, entry, true);
      if (added !== undefined) this.session.send(eventFrame("pusher_internal:member_added", channel, added));
    }
    for (const entry of diff.left ?? []) {
      if (entry.userId === null) continue;
      const member = members.get(entry.userId);
      if (member === undefined || !member.connections.delete(entry.connectionId) || member.connections.size > 0) continue;
      members.delete(entry.userId);
      this.session.send(eventFrame("pusher_internal:member_removed", channel, { user_id: entry.userId }));
    }
  }

  private channelOfRoom(room: unknown): string | undefined {
    if (typeof room !== "string" || !room.startsWith(this.app.roomPrefix)) return undefined;
    const channel = room.slice(this.app.roomPrefix.length);
    return this.channels.has(channel) ? channel : undefined;
  }

  private reportError(error: unknown): void {
    if (error instanceof SwitchboardError) {
      this.session.send(errorFrame(null, error.message));
      return;
    }
    this.logger.error({ err: error, connection: this.session.connectionId }, "pusher frame failed");
    this.session.send(errorFrame(null, "Internal error."));
  }
}

/** A member's Pusher user_info: what a Pusher client sent, or a native member's presence meta. */
function userInfoOf(meta: Record<string, unknown> | undefined): unknown {
  if (meta === undefined) return undefined;
  return "user_info" in meta ? meta.user_info : meta;
}

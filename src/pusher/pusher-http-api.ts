import type { FastifyInstance, FastifyRequest } from "fastify";
import { ERROR_CODES, SwitchboardError } from "../protocol/error-codes.js";
import type { PresenceMember } from "../protocol/frames.js";
import type { PusherApps } from "./pusher-apps.js";
import { USER_CHANNEL_PREFIX, channelKind, channelNameProblem } from "./pusher-channels.js";
import type { ResolvedPusherApp, ResolvedPusherOptions } from "./pusher-options.js";
import { verifyRequest } from "./pusher-request-signing.js";

/** What the HTTP API needs from the node. */
export interface PusherApiTarget {
  publish(room: string, data: unknown, options: { event: string; except?: string }): Promise<unknown>;
  emitToUser(userId: string, event: string, data: unknown): Promise<void>;
  presence(room: string): Promise<PresenceMember[]>;
  /** Every room with present connections, across the cluster. */
  rooms(): Promise<Array<{ room: string; connections: number }>>;
  disconnectUser(userId: string, code: number, reason: string): Promise<void>;
}

/** An HTTP API error with Pusher's plain-text body. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface EventBody {
  name?: unknown;
  data?: unknown;
  channels?: unknown;
  channel?: unknown;
  socket_id?: unknown;
  info?: unknown;
}

const MAX_CHANNELS_PER_EVENT = 100;
const MAX_BATCH = 10;
const MAX_EVENT_NAME = 200;

/**
 * The Pusher HTTP API on `/apps/{app_id}/…`, as a Fastify plugin: every request
 * signed with the app's key and secret. Events are room publications, channel
 * queries read the presence store, terminating a user is a server disconnect.
 */
export function pusherHttpApi(apps: PusherApps, options: ResolvedPusherOptions, target: PusherApiTarget): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    // The signature covers the body's MD5, so the body is kept as the bytes that were sent.
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => done(null, body));
    app.setErrorHandler((error: Error, request, reply) => {
      if (error instanceof ApiError) return reply.code(error.status).type("text/plain").send(error.message);
      if (error instanceof SwitchboardError) return reply.code(ERROR_CODES[error.code].httpStatus).type("text/plain").send(error.message);
      const status = (error as { statusCode?: number }).statusCode;
      if (typeof status === "number" && status >= 400 && status < 500) return reply.code(status).type("text/plain").send(error.message);
      request.log.error({ err: error }, "pusher HTTP API request failed");
      return reply.code(500).type("text/plain").send("Internal error.");
    });

    const appOf = (request: FastifyRequest): ResolvedPusherApp => {
      const { appId } = request.params as { appId: string };
      const found = apps.withId(appId);
      if (found === undefined) throw new ApiError(404, `Unknown app ${appId}.`);
      const url = new URL(request.raw.url ?? "/", "http://localhost");
      const body = typeof request.body === "string" ? request.body : "";
      const problem = verifyRequest(found, request.method, url.pathname, url.searchParams, body, options.timestampToleranceSec);
      if (problem !== undefined) throw new ApiError(401, problem);
      return found;
    };

    app.post("/apps/:appId/events", async (request) => {
      const found = appOf(request);
      const body = parseJson(request.body) as EventBody;
      const channels = body.channels ?? (body.channel === undefined ? undefined : [body.channel]);
      if (!Array.isArray(channels) || channels.length === 0) throw new ApiError(400, "Give channels (a list) or channel.");
      if (channels.length > MAX_CHANNELS_PER_EVENT) throw new ApiError(400, `At most ${MAX_CHANNELS_PER_EVENT} channels per event.`);
      await trigger(found, { ...body, channels });
      return infoFor(found, channels as string[], body.info);
    });

    app.post("/apps/:appId/batch_events", async (request) => {
      const found = appOf(request);
      const batch = (parseJson(request.body) as { batch?: unknown }).batch;
      if (!Array.isArray(batch)) throw new ApiError(400, "The body must be {batch:[…]}.");
      if (batch.length > MAX_BATCH) throw new ApiError(400, `At most ${MAX_BATCH} events per batch.`);
      for (const event of batch as EventBody[]) validateEvent(event, [event.channel]);
      for (const event of batch as EventBody[]) await trigger(found, { ...event, channels: [event.channel] });
      const wantsInfo = (batch as EventBody[]).some((event) => typeof event.info === "string");
      if (!wantsInfo) return {};
      return { batch: await Promise.all((batch as EventBody[]).map(async (event) => ((await infoFor(found, [event.channel as string], event.info)).channels?.[event.channel as string] ?? {}))) };
    });

    app.get("/apps/:appId/channels", async (request) => {
      const found = appOf(request);
      const query = request.query as { filter_by_prefix?: string; info?: string };
      const prefix = query.filter_by_prefix ?? "";
      const info = new Set((query.info ?? "").split(",").filter((item) => item.length > 0));
      if (info.has("user_count") && !prefix.startsWith("presence-")) throw new ApiError(400, "info=user_count needs filter_by_prefix=presence-.");
      const channels: Record<string, Record<string, number>> = {};
      for (const { room, connections } of await target.rooms()) {
        const owner = apps.channelOf(room);
        if (owner === undefined || owner.app !== found || connections === 0 || !owner.channel.startsWith(prefix) || channelNameProblem(owner.channel) !== undefined) continue;
        const entry: Record<string, number> = {};
        if (info.has("subscription_count")) entry.subscription_count = connections;
        if (info.has("user_count")) entry.user_count = userCount(await target.presence(room));
        channels[owner.channel] = entry;
      }
      return { channels };
    });

    app.get("/apps/:appId/channels/:channel", async (request) => {
      const found = appOf(request);
      const channel = channelParam(request);
      const info = new Set(((request.query as { info?: string }).info ?? "").split(",").filter((item) => item.length > 0));
      if (info.has("user_count") && channelKind(channel) !== "presence") throw new ApiError(400, "user_count is only for presence channels.");
      const members = await target.presence(found.roomPrefix + channel);
      const connections = members.reduce((sum, member) => sum + member.connections, 0);
      const answer: Record<string, unknown> = { occupied: connections > 0 };
      if (info.has("user_count")) answer.user_count = userCount(members);
      if (info.has("subscription_count")) answer.subscription_count = connections;
      return answer;
    });

    app.get("/apps/:appId/channels/:channel/users", async (request) => {
      const found = appOf(request);
      const channel = channelParam(request);
      if (channelKind(channel) !== "presence") throw new ApiError(400, "Users are listed for presence channels only.");
      const members = await target.presence(found.roomPrefix + channel);
      return { users: members.filter((member) => member.userId !== null).map((member) => ({ id: member.userId })) };
    });

    app.post("/apps/:appId/users/:userId/terminate_connections", async (request) => {
      appOf(request);
      const { userId } = request.params as { userId: string };
      if (userId.length === 0) throw new ApiError(400, "A user id is required.");
      await target.disconnectUser(userId, 4009, "terminated through the HTTP API");
      return {};
    });

    function validateEvent(event: EventBody, channels: unknown[]): void {
      if (typeof event !== "object" || event === null) throw new ApiError(400, "Each event must be an object.");
      if (typeof event.name !== "string" || event.name.length === 0 || event.name.length > MAX_EVENT_NAME) throw new ApiError(400, `"name" must be a string of 1 to ${MAX_EVENT_NAME} characters.`);
      if (typeof event.data !== "string") throw new ApiError(400, '"data" must be a string (JSON-encode objects).');
      if (Buffer.byteLength(event.data) > options.maxEventBytes) throw new ApiError(413, `Event data is at most ${options.maxEventBytes} bytes.`);
      if (event.socket_id !== undefined && (typeof event.socket_id !== "string" || !/^\d+\.\d+$/.test(event.socket_id))) throw new ApiError(400, '"socket_id" must look like "123.456".');
      for (const channel of channels) {
        if (typeof channel === "string" && channel.startsWith(USER_CHANNEL_PREFIX) && channel.length > USER_CHANNEL_PREFIX.length) continue;
        const problem = channelNameProblem(channel);
        if (problem !== undefined) throw new ApiError(400, `${JSON.stringify(channel)}: ${problem}`);
      }
    }

    async function trigger(found: ResolvedPusherApp, event: EventBody & { channels: unknown[] }): Promise<void> {
      validateEvent(event, event.channels);
      const name = event.name as string;
      await Promise.all(
        (event.channels as string[]).map((channel) => {
          if (channel.startsWith(USER_CHANNEL_PREFIX)) return target.emitToUser(channel.slice(USER_CHANNEL_PREFIX.length), name, event.data);
          return target.publish(found.roomPrefix + channel, event.data, { event: name, ...(typeof event.socket_id === "string" ? { except: event.socket_id } : {}) });
        }),
      );
    }

    async function infoFor(found: ResolvedPusherApp, channels: string[], info: unknown): Promise<{ channels?: Record<string, Record<string, number>> }> {
      if (typeof info !== "string" || info.length === 0) return {};
      const wanted = new Set(info.split(","));
      const answer: Record<string, Record<string, number>> = {};
      for (const channel of channels) {
        if (channel.startsWith(USER_CHANNEL_PREFIX)) continue;
        const members = await target.presence(found.roomPrefix + channel);
        const entry: Record<string, number> = {};
        if (wanted.has("subscription_count")) entry.subscription_count = members.reduce((sum, member) => sum + member.connections, 0);
        if (wanted.has("user_count") && channelKind(channel) === "presence") entry.user_count = userCount(members);
        answer[channel] = entry;
      }
      return { channels: answer };
    }
  };
}

function channelParam(request: FastifyRequest): string {
  const { channel } = request.params as { channel: string };
  const problem = channelNameProblem(channel);
  if (problem !== undefined) throw new ApiError(400, problem);
  return channel;
}

function userCount(members: PresenceMember[]): number {
  return members.filter((member) => member.userId !== null).length;
}

function parseJson(body: unknown): unknown {
  if (typeof body !== "string" || body.length === 0) throw new ApiError(400, "A JSON body is required.");
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, "The body is not valid JSON.");
  }
}


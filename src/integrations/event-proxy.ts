import { randomUUID } from "node:crypto";
import { assertBackendUrl } from "./backend-url.js";
import type { Logger } from "../log/logger.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { HandlerContext } from "../server/context.js";
import type { Middleware } from "../server/router.js";
import { BUILT_IN_TYPES } from "../server/router.js";
import { callBackend, compileEventPattern } from "./backend-call.js";
import type { BackendEndpoint } from "./backend-call.js";
import { backendError, bodyOf, describeOutcome, isSuccess } from "./backend-errors.js";

/**
 * Event proxy: client frames whose type matches a pattern are POSTed to a
 * backend, and its JSON answer becomes the reply. Installed as middleware
 * (`sb.use(eventProxy(...))`), so it needs no handler per type and runs after
 * any middleware registered before it (rate limits, logging).
 */
export interface EventProxyOptions extends BackendEndpoint {
  /** Frame types to forward; `*` matches any characters (`order.*`, `*`). Built-in commands are never forwarded. */
  events: string[];
  /** Types that are safe to repeat: retried when the backend is unreachable, times out or answers 502/503/504. */
  idempotent?: string[];
  /** Extra attempts for idempotent types. Default 2. */
  retries?: number;
  /** Delay before the first retry, doubled each time. Default 100. */
  retryDelayMs?: number;
  /**
   * Returns the connection's raw token to forward as `token`. Unset (the default),
   * the backend never sees the token, only the verified identity and claims.
   */
  forwardToken?: (ctx: HandlerContext) => string | undefined;
  logger?: Logger;
}

/** The body Switchboard POSTs. */
export interface ProxyRequest {
  type: string;
  action?: string;
  data: unknown;
  connectionId: string;
  userId: string | null;
  claims: Readonly<Record<string, unknown>>;
  rooms: string[];
  node: string;
  token?: string;
}

/** What the backend may answer (HTTP 2xx, JSON); every field optional. */
export interface ProxyResponse {
  /** The reply's data. Default null. */
  reply?: unknown;
  /** Rooms to join the caller to (the backend decided access: room policy rules are skipped; the caps and join rate still apply). */
  join?: string[];
  leave?: string[];
  /** Without `event`: `publish` (history, offsets); with `event`: a custom event frame. */
  broadcast?: Array<{ room: string; event?: string; data?: unknown }>;
}

export function eventProxy(options: EventProxyOptions): Middleware {
  assertBackendUrl(options.url, "eventProxy", { carriesCredentials: options.forwardToken !== undefined, allowLinkLocal: options.allowLinkLocal });
  if (!Array.isArray(options.events) || options.events.length === 0) throw new TypeError('eventProxy: "events" needs at least one pattern');
  const forwarded = options.events.map(compileEventPattern);
  const idempotent = (options.idempotent ?? []).map(compileEventPattern);
  const retries = options.retries ?? 2;
  return async (ctx, next) => {
    if (BUILT_IN_TYPES.has(ctx.type) || !forwarded.some((pattern) => pattern.test(ctx.type))) return next();
    const body: ProxyRequest = {
      type: ctx.type,
      ...(ctx.action === undefined ? {} : { action: ctx.action }),
      data: ctx.frame.data ?? null,
      connectionId: ctx.connectionId,
      userId: ctx.userId,
      claims: ctx.claims,
      rooms: [...ctx.rooms],
      node: ctx.node,
    };
    const token = options.forwardToken?.(ctx);
    if (token !== undefined) body.token = token;
    const safeToRepeat = idempotent.some((pattern) => pattern.test(ctx.type));
    const outcome = await callBackend(options, body, {
      retries: safeToRepeat ? retries : 0,
      retryDelayMs: options.retryDelayMs ?? 100,
      requestId: randomUUID(),
    });
    if (!isSuccess(outcome)) {
      options.logger?.warn({ type: ctx.type, outcome: describeOutcome(outcome) }, "event proxy: backend call failed");
      throw backendError(outcome, "backend");
    }
    await apply(ctx, bodyOf(outcome), options.logger);
  };
}

async function apply(ctx: HandlerContext, body: unknown, logger: Logger | undefined): Promise<void> {
  if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) {
    logger?.warn({ type: ctx.type }, "event proxy: the backend's answer is not a JSON object");
    throw new SwitchboardError("internal", "Internal error.");
  }
  const answer = (body ?? {}) as ProxyResponse;
  for (const room of stringList(answer.join, "join")) await ctx.join(room, { authorized: true });
  for (const room of stringList(answer.leave, "leave")) await ctx.leave(room);
  for (const item of answer.broadcast ?? []) {
    if (typeof item?.room !== "string") throw invalid("broadcast[].room must be a string");
    if (item.event === undefined) await ctx.broadcast.publish(item.room, item.data ?? null);
    else await ctx.broadcast.to(item.room).emit(item.event, item.data ?? null);
  }
  ctx.reply(answer.reply ?? null);
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw invalid(`${field} must be an array of room names`);
  return value;
}

function invalid(detail: string): SwitchboardError {
  // The backend broke the contract; the client only learns that something failed.
  return new SwitchboardError("internal", `Internal error (backend answer: ${detail}).`);
}

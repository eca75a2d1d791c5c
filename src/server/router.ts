import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { DefaultEventMap, EventMap, RequestData, RequestReply, RequestsOf } from "../protocol/event-map.js";
import type { HandlerContext } from "./context.js";

/**
 * Answers one frame: what it returns (or passes to `ctx.reply`) is the reply's `data`.
 * Returning nothing without calling `ctx.reply` replies `null` (as Fastify allows `void`
 * for handlers that send their reply themselves).
 */
export type Handler<Data = unknown, Result = unknown, Map extends EventMap = DefaultEventMap> = (
  ctx: HandlerContext<Map, Result>,
  data: Data,
) => Result | void | Promise<Result | void>;

/** The handler of a request type the map declares: its payload and reply come from the map. */
export type RequestHandler<Map extends EventMap, Type extends keyof RequestsOf<Map>> = Handler<RequestData<RequestsOf<Map>, Type>, RequestReply<RequestsOf<Map>, Type>, Map>;

/** Runs before every handler and built-in command; throw a SwitchboardError to reject the frame. */
export type Middleware<Map extends EventMap = DefaultEventMap> = (ctx: HandlerContext<Map>, next: () => Promise<void>) => unknown;

/** A handler's address: a frame `type`, optionally narrowed by `action` (routing by type + action). */
export type Route<Type extends string = string> = Type | { type: Type; action?: string };

export interface RegisteredHandler {
  type: string;
  action: string | undefined;
  schema: StandardSchemaV1 | undefined;
  handler: Handler;
}

export const BUILT_IN_TYPES = new Set(["join", "leave", "publish", "presence", "history", "ping", "auth"]);

function routeKey(type: string, action: string | undefined): string {
  return action === undefined ? type : `${type}\u0000${action}`;
}

/** Finds the handler for a frame: type + action first, then the type alone. */
export class Router {
  private readonly handlers = new Map<string, RegisteredHandler>();

  add(route: Route, schema: StandardSchemaV1 | undefined, handler: Handler): void {
    const { type, action } = typeof route === "string" ? { type: route, action: undefined } : route;
    if (typeof type !== "string" || type.length === 0) throw new TypeError("handle(): the route needs a non-empty type");
    if (BUILT_IN_TYPES.has(type)) throw new TypeError(`handle(): "${type}" is a built-in command and cannot be handled`);
    if (schema !== undefined && (typeof schema !== "object" || schema === null || !("~standard" in schema))) {
      throw new TypeError("handle(): the schema must implement Standard Schema (zod, valibot, arktype…)");
    }
    const key = routeKey(type, action);
    if (this.handlers.has(key)) throw new TypeError(`handle(): a handler for ${action === undefined ? type : `${type}/${action}`} is already registered`);
    this.handlers.set(key, { type, action, schema, handler });
  }

  find(type: string, action: string | undefined): RegisteredHandler | undefined {
    if (action !== undefined) {
      const exact = this.handlers.get(routeKey(type, action));
      if (exact !== undefined) return exact;
    }
    return this.handlers.get(type);
  }

  has(type: string): boolean {
    for (const registered of this.handlers.values()) if (registered.type === type) return true;
    return false;
  }
}

/** Runs middleware in registration order, then `last`. */
export async function runMiddleware(middleware: readonly Middleware[], ctx: HandlerContext, last: () => Promise<void>): Promise<void> {
  let index = -1;
  const next = async (position: number): Promise<void> => {
    if (position <= index) throw new Error("next() called more than once in a middleware");
    index = position;
    const current = middleware[position];
    if (current === undefined) return last();
    await current(ctx, () => next(position + 1));
  };
  await next(0);
}

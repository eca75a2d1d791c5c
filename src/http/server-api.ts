import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { ServerResponse as NodeResponse } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController } from "fastify";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../log/logger.js";
import { ERROR_CODES, SwitchboardError } from "../protocol/error-codes.js";
import type { Switchboard } from "../server/switchboard.js";
import { corsOriginProblem, registerApiCors } from "./api-cors.js";
import { ApiKeys } from "./api-keys.js";
import { registerApiRoutes } from "./api-routes.js";
import { HealthRegistry } from "../observability/health.js";
import { SwitchboardMetrics } from "../observability/metrics.js";
import { openApiDocument } from "./openapi.js";
import { NodeStatsExchange } from "../observability/node-stats-exchange.js";
import { StatsSampler } from "../observability/stats-sampler.js";

export interface ServerApiOptions {
  /** Bearer keys for /api/*. None: the API answers 401 naming SWITCHBOARD_API_KEY. */
  apiKeys?: readonly string[];
  /** Whether /health needs no key. Default true. */
  healthPublic?: boolean;
  /** Whether /metrics needs no key. Default true. */
  metricsPublic?: boolean;
  /** Requests per minute per key (or per IP without one) on /api/*; 0 turns the limit off. Default 600. */
  rateLimitPerMinute?: number;
  /** Metrics to feed; created when absent. */
  metrics?: SwitchboardMetrics;
  /** Origins whose pages may call /api/* (CORS, preflight answered): exact origins, or `*`. Default none. */
  corsOrigins?: readonly string[];
}

/** The server API of one Switchboard: register it on a Fastify app with `app.register(api.plugin)`. */
export interface ServerApi {
  readonly metrics: SwitchboardMetrics;
  readonly health: HealthRegistry;
  readonly stats: StatsSampler;
  plugin(app: FastifyInstance): Promise<void>;
  /** The routes the plugin registered, as `METHOD /path` (after `plugin` ran). */
  routes(): string[];
  close(): void;
}

/** Builds the server API (HTTP routes, metrics, health, stats) for a Switchboard. */
export function createServerApi(sb: Switchboard, options: ServerApiOptions = {}): ServerApi {
  const keys = new ApiKeys(options.apiKeys ?? []);
  const healthPublic = options.healthPublic ?? true;
  const metricsPublic = options.metricsPublic ?? true;
  const perMinute = options.rateLimitPerMinute ?? 600;
  if (!Number.isInteger(perMinute) || perMinute < 0) throw new TypeError(`Server API option "rateLimitPerMinute" must be a non-negative integer, got ${String(perMinute)}`);
  const corsOrigins = options.corsOrigins ?? [];
  for (const origin of corsOrigins) {
    const problem = corsOriginProblem(origin);
    if (problem !== undefined) throw new TypeError(`Server API option "corsOrigins": ${problem}`);
  }
  const metrics = (options.metrics ?? new SwitchboardMetrics()).bind(sb);
  const removeObserver = sb.observe(metrics);
  const health = new HealthRegistry(sb.node).add({ name: "broker", required: true, check: () => sb.broker.health() });
  const sampler = new StatsSampler(sb);
  const exchange = new NodeStatsExchange(sb, sampler);
  const streams = new Set<NodeResponse>();

  const requireKey = async (request: FastifyRequest): Promise<void> => {
    if (!keys.enabled) throw new SwitchboardError("unauthorized", "The server API is off: no API key is configured. Set SWITCHBOARD_API_KEY (one or more keys, comma-separated, at least 16 characters each).");
    if (!keys.accepts(request.headers.authorization)) throw new SwitchboardError("unauthorized", "Missing or invalid API key: send Authorization: Bearer <key>.");
  };

  const routes: string[] = [];
  let recording = false;
  const plugin = async (app: FastifyInstance): Promise<void> => {
    recording = true;
    app.addHook("onRoute", (route) => {
      if (recording) for (const method of [route.method].flat()) if (method !== "HEAD" && method !== "OPTIONS") routes.push(`${method} ${route.url}`);
    });
    app.setErrorHandler((error: FastifyError | SwitchboardError, request, reply) => sendError(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send({ error: { code: "not_found", message: `No route for ${request.method} ${request.url.split("?")[0]}.` } });
    });

    const document = openApiDocument({ healthPublic, metricsPublic });
    app.get("/health/live", async () => ({ status: "ok", node: sb.node }));
    app.get("/health", { onRequest: healthPublic ? [] : [requireKey] }, async (_request, reply) => {
      const report = await health.report();
      return reply.code(report.status === "down" ? 503 : 200).send(report);
    });
    app.get("/metrics", { onRequest: metricsPublic ? [] : [requireKey] }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));

    await app.register(async (api) => {
      // CORS first, so that a preflight (which carries no key) is answered before the key check.
      if (corsOrigins.length > 0) await registerApiCors(api, { origins: corsOrigins });
      api.get("/api/openapi.json", async () => document);
      await api.register(async (keyed) => {
        if (perMinute > 0) {
          await keyed.register(rateLimit, {
            max: perMinute,
            timeWindow: 60_000,
            // Per key when one is sent (a digest, never the key itself), else per client address.
            keyGenerator: (request) => (request.headers.authorization === undefined ? `ip:${request.ip}` : `key:${createHash("sha256").update(request.headers.authorization).digest("base64url")}`),
            errorResponseBuilder: (_request, context) => new SwitchboardError("rate_limited", `Too many server API requests: at most ${context.max} a minute. Retry in ${Math.ceil(context.ttl / 1000)} s.`),
          });
        }
        keyed.addHook("onRequest", requireKey);
        registerApiRoutes(keyed, { sb, metrics, sampler, exchange, streams });
      });
    });
    recording = false;
  };

  // Registered in the app's own context (as fastify-plugin would), so the error and not-found
  // handlers answer in the API's format for every route of the app, the web pages' included.
  Object.assign(plugin, { [Symbol.for("skip-override")]: true });

  return {
    metrics,
    health,
    stats: sampler,
    plugin,
    routes: () => [...routes],
    close() {
      exchange.close();
      sampler.close();
      removeObserver();
      for (const stream of streams) stream.end();
    },
  };
}

/** Every error as `{error:{code,message}}` with the HTTP status of its code. */
function sendError(error: FastifyError | SwitchboardError, request: FastifyRequest, reply: FastifyReply): void {
  let body: SwitchboardError;
  if (error instanceof SwitchboardError) body = error;
  else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") body = new SwitchboardError("too_large", "The request body is too large.");
  else if (typeof error.statusCode === "number" && error.statusCode === 429) body = new SwitchboardError("rate_limited", error.message);
  else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) body = new SwitchboardError("bad_request", error.message);
  else {
    request.log.error({ err: error }, "server API request failed");
    body = new SwitchboardError("internal", "Internal error.");
  }
  if (body.code === "internal" && error instanceof SwitchboardError) request.log.error({ err: error }, "server API request failed");
  void reply.code(ERROR_CODES[body.code].httpStatus).send({ error: body.toBody() });
}

/** Longest path parameter (a room name in /api/rooms/{room}/...) before the API answers 414. */
export const MAX_PATH_PARAM_LENGTH = 512;

export interface HttpAppOptions {
  logger?: Logger;
  /** Node's HTTP server options (timeouts against slow clients); see Protection.httpServerOptions(). */
  serverOptions?: Parameters<typeof createServer>[0];
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
}

/** A Fastify app on a Node HTTP server built with the given options, for the standalone server. */
export function createHttpApp(options: HttpAppOptions = {}): FastifyInstance {
  const serverOptions = options.serverOptions ?? {};
  return Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Fastify's default (100) answered 414 for valid room names of 101-128 characters in /api/rooms/{room}/...;
    // a longer path parameter still gets 414, anything shorter the room-name checks (400).
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Errors the router raises before any route or error handler runs (a path parameter over the limit: 414),
    // in the API's own error format.
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === "number" ? error.statusCode : 400;
      const message = status === 414 ? `A path parameter is over ${MAX_PATH_PARAM_LENGTH} characters.` : error.message;
      void (reply as unknown as FastifyReply).code(status).send({ error: { code: "bad_request", message } });
    },
    serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) => createServer(serverOptions, handler),
  }) as unknown as FastifyInstance;
}

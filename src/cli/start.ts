import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { createLogger } from "../log/logger.js";
import { prettyLogs } from "../log/log-format.js";
import type { Logger } from "../log/logger.js";
import { loadServerConfig } from "../config/server-config.js";
import type { ServerConfig } from "../config/server-config.js";
import { optionsFromConfig } from "../config/switchboard-options.js";
import { SwitchboardMetrics } from "../observability/metrics.js";
import { createHttpApp, createServerApi } from "../http/server-api.js";
import type { ServerApi } from "../http/server-api.js";
import { ConfiguredIntegrations } from "../integrations/configured-integrations.js";
import { CLIENT_BUNDLE_PATH, serveClientBundle } from "../server/client-bundle.js";
import { createSwitchboard } from "../server/switchboard.js";
import { attachPusher } from "../pusher/pusher-server.js";
import type { PusherServer } from "../pusher/pusher-server.js";
import { pusherOptionsFromConfig } from "../pusher/pusher-config.js";
import { mountWebFaceFromConfig, webFaceBanner } from "../web-app-server/from-config.js";
import type { Switchboard } from "../server/switchboard.js";

export interface RunningServer {
  switchboard: Switchboard;
  config: ServerConfig;
  logger: Logger;
  port: number;
  url: string;
  /** The Fastify app on the WebSocket port: the upgrade endpoint, and the server API unless it has its own port. */
  app: FastifyInstance;
  /** The Fastify app serving the server API: `app` itself, or a second app on SWITCHBOARD_API_PORT. */
  apiApp: FastifyInstance;
  /** Base URL of the server API, e.g. http://localhost:8080. */
  apiUrl: string;
  api: ServerApi;
  /** Change feed, proxy, hooks and webhooks from the config (see docs/integrations.md). */
  integrations: ConfiguredIntegrations;
  /** The Pusher protocol (docs/pusher.md), when an app is configured. */
  pusher: PusherServer | undefined;
  /** Closes connections, the API and the integrations, in that order. */
  close(): Promise<void>;
}

/** Starts the standalone server from a validated config. */
export async function startServer(config: ServerConfig = loadServerConfig()): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, { pretty: prettyLogs() });
  const metrics = new SwitchboardMetrics();
  // The change-feed metrics appear only on a server with a feed (the PostgreSQL URL is its switch).
  const integrations = new ConfiguredIntegrations(config, logger, config.pgUrl === undefined ? undefined : metrics.changeFeed);
  const switchboard = createSwitchboard(integrations.configure(optionsFromConfig(config, logger)));
  integrations.start(switchboard);
  const pusherOptions = pusherOptionsFromConfig(config);
  const pusher = pusherOptions === undefined ? undefined : attachPusher(switchboard, pusherOptions);

  const api = createServerApi(switchboard, {
    apiKeys: config.apiKeys,
    healthPublic: config.healthPublic,
    metricsPublic: config.metricsPublic,
    rateLimitPerMinute: config.apiRateLimitPerMinute,
    corsOrigins: config.apiCorsOrigins,
    metrics,
  });
  for (const check of integrations.healthChecks()) api.health.add({ name: check.name, required: false, check: () => check.check() });

  const serverOptions = switchboard.protection.httpServerOptions();
  const app = createHttpApp({ logger, serverOptions });
  const separateApi = config.apiPort !== undefined;
  const apiApp = separateApi ? createHttpApp({ logger, serverOptions }) : app;
  await apiApp.register(api.plugin);
  if (pusher !== undefined) await app.register(pusher.plugin);
  const webFace = await mountWebFaceFromConfig({ app, apiApp }, config, switchboard.authenticator.mode, logger);
  app.get(config.path, async (_request, reply) => reply.code(426).send({ error: { code: "bad_request", message: "WebSocket upgrade required." } }));
  // The browser client (docs/client.md), served from the raw request so caching headers stay as built.
  app.get(CLIENT_BUNDLE_PATH, (request, reply) => {
    reply.hijack();
    serveClientBundle(request.raw, reply.raw);
  });
  switchboard.attach(app.server, { path: config.path });

  await app.listen({ port: config.port, host: config.host });
  await switchboard.ready;
  const port = (app.server.address() as AddressInfo).port;
  let apiPort = port;
  if (separateApi) {
    await apiApp.listen({ port: config.apiPort ?? 0, host: config.apiHost ?? config.host });
    apiPort = (apiApp.server.address() as AddressInfo).port;
  }

  const shown = (host: string): string => (host === "0.0.0.0" || host === "::" ? "localhost" : host);
  const url = `ws://${shown(config.host)}:${port}${config.path}`;
  const apiUrl = `http://${shown(separateApi ? (config.apiHost ?? config.host) : config.host)}:${apiPort}`;
  if (switchboard.authenticator.mode === "anonymous") {
    logger.warn("AUTH IS OFF: anyone can connect anonymously. Set SWITCHBOARD_JWT_SECRET (or a public key / JWKS URL) to require tokens; in production, running without auth needs SWITCHBOARD_AUTH=anonymous.");
  } else logger.info(`auth: ${switchboard.authenticator.description}`);
  if (config.apiKeys.length === 0) logger.info("server API: /api/* is off until SWITCHBOARD_API_KEY is set; /health and /metrics are served");
  const brokerHealth = switchboard.broker.health();
  if (!brokerHealth.ok) logger.warn({ broker: brokerHealth.detail }, "the broker is not reachable yet; serving local connections and retrying (publishes fail with unavailable until it is)");
  if (webFace) logger.info(webFaceBanner(`http://${shown(config.host)}:${port}`, apiUrl, config.apiKeys.length > 0));
  logger.info({ url, apiUrl, broker: switchboard.broker.name, auth: switchboard.authenticator.description }, `Switchboard listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await switchboard.close();
      api.close();
      await Promise.all([app.close(), separateApi ? apiApp.close() : undefined]);
      await integrations.close();
      await pusher?.close();
    })());
  if (pusher !== undefined) logger.info({ apps: pusher.options.apps.map((app) => app.id), path: `${pusher.options.path}/{key}` }, "Pusher protocol: clients connect to /app/{key}?protocol=7, HTTP API on /apps/{app_id}/…");
  return { switchboard, config, logger, port, url, app, apiApp, apiUrl, api, integrations, pusher, close };
}

/**
 * Closes on SIGTERM, SIGINT or SIGHUP within a deadline, so no process is left behind.
 * SIGHUP (the terminal went away) shuts down gracefully too: nothing is reloaded.
 */
export function closeOnSignals(running: RunningServer, deadlineMs = 10_000): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      running.logger.error("shutdown deadline passed; exiting");
      process.exit(1);
    }, deadlineMs);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", stop);
}

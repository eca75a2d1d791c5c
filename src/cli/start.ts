import { createLogger } from "../log/logger.js";
import type { Logger } from "../log/logger.js";
import { loadServerConfig } from "../config/server-config.js";
import type { ServerConfig } from "../config/server-config.js";
import { optionsFromConfig } from "../config/switchboard-options.js";
import { ConfiguredIntegrations } from "../integrations/configured-integrations.js";
import { createSwitchboard } from "../server/switchboard.js";
import type { Switchboard } from "../server/switchboard.js";

export interface RunningServer {
  switchboard: Switchboard;
  config: ServerConfig;
  logger: Logger;
  port: number;
  url: string;
  /** Change feed, proxy, hooks and webhooks from the config (see docs/integrations.md). */
  integrations: ConfiguredIntegrations;
}

/** Starts the standalone server from a validated config. */
export async function startServer(config: ServerConfig = loadServerConfig()): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const integrations = new ConfiguredIntegrations(config, logger);
  const switchboard = createSwitchboard(integrations.configure(optionsFromConfig(config, logger)));
  integrations.start(switchboard);
  const address = await switchboard.listen(config.port, config.host);
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = `ws://${shownHost}:${address.port}${config.path}`;
  if (switchboard.authenticator.mode === "anonymous") {
    logger.warn("AUTH IS OFF: anyone can connect anonymously. Set SWITCHBOARD_JWT_SECRET (or a public key / JWKS URL) to require tokens; in production, running without auth needs SWITCHBOARD_AUTH=anonymous.");
  } else logger.info(`auth: ${switchboard.authenticator.description}`);
  const brokerHealth = switchboard.broker.health();
  if (!brokerHealth.ok) logger.warn({ broker: brokerHealth.detail }, "the broker is not reachable yet; serving local connections and retrying (publishes fail with unavailable until it is)");
  logger.info({ url, broker: switchboard.broker.name, auth: switchboard.authenticator.description }, `Switchboard listening on ${url}`);
  return { switchboard, config, logger, port: address.port, url, integrations };
}

/** Closes on SIGTERM/SIGINT within a deadline, so no process is left behind. */
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
    running.switchboard.close().then(() => running.integrations.close()).then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

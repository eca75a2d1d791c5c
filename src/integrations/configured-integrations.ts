import type { Logger } from "../log/logger.js";
import type { SwitchboardOptions } from "../server/options.js";
import type { Switchboard } from "../server/switchboard.js";
import { eventProxy } from "./event-proxy.js";
import { httpConnectHook, httpJoinHook } from "./http-hooks.js";
import type { IntegrationConfig } from "./integration-config.js";
import { PgChangeFeed } from "./pg-change-feed.js";
import type { ChangeFeedMetrics, HealthStatus } from "./pg-change-feed.js";
import { TokenCapture } from "./token-capture.js";
import { WebhookDispatcher } from "./webhooks.js";

/** A named check for the /health registry. */
export interface IntegrationHealthCheck {
  name: string;
  check(): HealthStatus;
}

/**
 * The integrations the standalone server's config asks for, in two steps:
 * `configure()` adds the connect/join hooks (and token capture) to the options
 * before the Switchboard is built, `start()` installs the proxy, webhooks and
 * change feed on it. Nothing runs for settings that are absent.
 */
export class ConfiguredIntegrations {
  changeFeed: PgChangeFeed | undefined;
  webhooks: WebhookDispatcher | undefined;
  private tokenCapture: TokenCapture | undefined;

  constructor(
    private readonly config: IntegrationConfig,
    private readonly logger: Logger,
    /** Change-feed counters for metrics (the Prometheus registry wires these). */
    private readonly feedMetrics?: ChangeFeedMetrics,
  ) {}

  configure(options: SwitchboardOptions): SwitchboardOptions {
    const config = this.config;
    const endpoint = { secret: config.integrationSecret, timeoutMs: config.backendTimeoutMs, logger: this.logger.child({ integration: "hooks" }) };
    if (config.connectHookUrl !== undefined) options.auth = { authenticate: httpConnectHook({ ...endpoint, url: config.connectHookUrl }) };
    if (config.joinHookUrl !== undefined) options.canJoin = httpJoinHook({ ...endpoint, url: config.joinHookUrl });
    if (config.proxyUrl !== undefined && config.proxyForwardToken) {
      this.tokenCapture = new TokenCapture();
      options.auth = this.tokenCapture.wrap(options.auth);
    }
    return options;
  }

  start(sb: Switchboard): this {
    const config = this.config;
    if (config.proxyUrl !== undefined) {
      const capture = this.tokenCapture;
      sb.use(
        eventProxy({
          url: config.proxyUrl,
          secret: config.integrationSecret,
          timeoutMs: config.backendTimeoutMs,
          events: config.proxyEvents,
          idempotent: config.proxyIdempotentEvents,
          ...(capture === undefined ? {} : { forwardToken: (ctx) => capture.tokenFor(ctx.claims) }),
          logger: this.logger.child({ integration: "proxy" }),
        }),
      );
    }
    if (config.webhookUrl !== undefined) {
      this.webhooks = new WebhookDispatcher({
        url: config.webhookUrl,
        secret: config.integrationSecret,
        timeoutMs: config.backendTimeoutMs,
        events: config.webhookEvents,
        logger: this.logger.child({ integration: "webhooks" }),
      }).attach(sb);
    }
    if (config.pgUrl !== undefined && config.pgFeeds !== undefined) {
      this.changeFeed = new PgChangeFeed(sb, {
        connectionString: config.pgUrl,
        mappings: config.pgFeeds,
        leaderPollMs: config.pgLeaderPollMs,
        logger: this.logger.child({ integration: "pg-change-feed" }),
        ...(this.feedMetrics === undefined ? {} : { metrics: this.feedMetrics }),
      }).start();
    }
    return this;
  }

  /** Checks for /health: the change feed is down while disconnected from PostgreSQL; webhooks while their endpoint fails. */
  healthChecks(): IntegrationHealthCheck[] {
    const checks: IntegrationHealthCheck[] = [];
    const feed = this.changeFeed;
    if (feed !== undefined) checks.push({ name: "postgres-change-feed", check: () => feed.health() });
    const webhooks = this.webhooks;
    if (webhooks !== undefined) checks.push({ name: "webhooks", check: () => webhooks.health() });
    return checks;
  }

  /** Stops the change feed and flushes webhooks; call after the Switchboard closed so its disconnects are sent. */
  async close(): Promise<void> {
    await Promise.all([this.changeFeed?.close(), this.webhooks?.close()]);
  }
}

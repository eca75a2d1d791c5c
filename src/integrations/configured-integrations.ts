import type { Logger } from "../log/logger.js";
import type { SwitchboardOptions } from "../server/options.js";
import type { Switchboard } from "../server/switchboard.js";
import { eventProxy } from "./event-proxy.js";
import { httpConnectHook, httpJoinHook } from "./http-hooks.js";
import type { IntegrationConfig } from "./integration-config.js";
import { LogicalReplicationFeed } from "./logical-replication-feed.js";
import { OutboxFeed } from "./outbox-feed.js";
import { PgChangeFeed } from "./pg-change-feed.js";
import type { ChangeFeedMapping, ChangeFeedMetrics, HealthStatus } from "./pg-change-feed.js";
import type { TableMapping } from "./change-mapping.js";
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
  changeFeed: PgChangeFeed | OutboxFeed | LogicalReplicationFeed | undefined;
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
    const endpoint = { secret: config.integrationSecret, timeoutMs: config.backendTimeoutMs, allowLinkLocal: config.backendAllowLinkLocal, logger: this.logger.child({ integration: "hooks" }) };
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
          allowLinkLocal: config.backendAllowLinkLocal,
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
        allowLinkLocal: config.backendAllowLinkLocal,
        events: config.webhookEvents,
        logger: this.logger.child({ integration: "webhooks" }),
      }).attach(sb);
    }
    if (config.pgUrl !== undefined && config.pgFeeds !== undefined) this.changeFeed = this.startChangeFeed(sb, config.pgUrl, config.pgFeeds).start();
    return this;
  }

  /** The feed of SWITCHBOARD_PG_FEED_MODE; the config's checks made sure every mapping names a channel or a table as that mode needs. */
  private startChangeFeed(sb: Switchboard, connectionString: string, feeds: NonNullable<IntegrationConfig["pgFeeds"]>): PgChangeFeed | OutboxFeed | LogicalReplicationFeed {
    const config = this.config;
    const common = {
      connectionString,
      leaderPollMs: config.pgLeaderPollMs,
      logger: this.logger.child({ integration: "pg-change-feed", mode: config.pgFeedMode }),
      ...(this.feedMetrics === undefined ? {} : { metrics: this.feedMetrics }),
    };
    const withoutUndefined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
    if (config.pgFeedMode === "notify") return new PgChangeFeed(sb, { ...common, mappings: feeds.map(({ table: _table, ...mapping }) => withoutUndefined(mapping) as ChangeFeedMapping) });
    const mappings = feeds.map(({ channel: _channel, ...mapping }) => withoutUndefined(mapping) as TableMapping);
    if (config.pgFeedMode === "outbox") return new OutboxFeed(sb, { ...common, mappings, table: config.pgOutboxTable, pollMs: config.pgOutboxPollMs });
    return new LogicalReplicationFeed(sb, { ...common, mappings, slot: config.pgSlot, publication: config.pgPublication, lagWarnBytes: config.pgSlotLagWarnBytes });
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

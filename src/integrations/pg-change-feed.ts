import type pg from "pg";
import type { Notification } from "pg";
import type { Logger } from "../log/logger.js";
import type { BroadcastApi } from "../delivery/broadcast-operator.js";
import { matchesFilter, renderRoute, validateFilter } from "./change-mapping.js";
import type { ChangeOp, RowFilter } from "./change-mapping.js";
import type { ChangeFeedMetrics, FeedState, HealthStatus } from "./feed-types.js";
import { LeaderSession } from "./leader-session.js";

export type { ChangeFeedMetrics, FeedState, HealthStatus } from "./feed-types.js";

/**
 * PostgreSQL change feed: LISTENs on channels (fed by the shipped
 * `switchboard_notify()` trigger or any JSON `pg_notify`) and delivers each
 * change to the room its mapping names.
 *
 * Several nodes: every node connects, but only the one holding a PostgreSQL
 * session advisory lock LISTENs. It publishes through Switchboard, i.e. through
 * the broker, so every subscriber on every node gets each change once. When the
 * leader's session ends (crash, network loss, pg_terminate_backend) PostgreSQL
 * releases the lock and a standby takes over within `leaderPollMs`.
 */
export interface ChangeFeedMapping {
  /** The NOTIFY channel. Several mappings may share one channel (one change, several rooms). */
  channel: string;
  /** Room template: `{field}` reads the changed row ("new", else "old"), then the payload's top level, e.g. `market:{market_id}`. */
  room: string;
  /** Event type: a fixed name or a template, e.g. `price.{op}`. Default `{table}.{op}`. */
  event?: string;
  /**
   * "publish" (default): `Switchboard.publish()`, a `message` frame with `event`,
   * kept in room history with an offset, data `{ op, schema, table, new, old }`.
   * "event": a custom event frame of type `event` with data `{ op, schema, table, new, old }`; no history.
   */
  deliver?: "publish" | "event";
  /** Operations this mapping takes (the payload's `op`). Default all. */
  ops?: ChangeOp[];
  /** Only changes whose row matches (see RowFilter). */
  filter?: RowFilter;
}

export interface PgChangeFeedOptions {
  connectionString: string;
  mappings: ChangeFeedMapping[];
  /** Nodes with the same lock name elect one listener. Default: derived from the channel names. */
  lockName?: string;
  /** Reconnect backoff bounds. Defaults 250 and 10000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** `application_name` of the feed's session, to find it in pg_stat_activity. Default "switchboard-change-feed". */
  applicationName?: string;
  /** How often a standby node tries to take the lock. Default 2000. */
  leaderPollMs?: number;
  metrics?: ChangeFeedMetrics;
  logger?: Logger;
}

type ChangePayload = Record<string, unknown>;

export class PgChangeFeed {
  private readonly options: Required<Pick<PgChangeFeedOptions, "reconnectMinMs" | "reconnectMaxMs" | "leaderPollMs" | "lockName">> & PgChangeFeedOptions;
  private readonly byChannel = new Map<string, ChangeFeedMapping[]>();
  private readonly session: LeaderSession;
  /** Notifications are handled one at a time so a fetched (oversized) row cannot overtake a later change. */
  private queue: Promise<void> = Promise.resolve();
  readonly counters = { notifications: 0, delivered: 0, dropped: 0, disconnects: 0 };

  constructor(
    private readonly sink: Pick<BroadcastApi, "publish" | "to">,
    options: PgChangeFeedOptions,
  ) {
    if (typeof options.connectionString !== "string" || options.connectionString.length === 0) throw new TypeError('PgChangeFeed: "connectionString" is required');
    if (!Array.isArray(options.mappings) || options.mappings.length === 0) throw new TypeError('PgChangeFeed: "mappings" needs at least one { channel, room }');
    for (const mapping of options.mappings) {
      if (typeof mapping.channel !== "string" || mapping.channel.length === 0 || mapping.channel.length > 63) throw new TypeError("PgChangeFeed: every mapping needs a channel of 1-63 characters");
      if (typeof mapping.room !== "string" || mapping.room.length === 0) throw new TypeError(`PgChangeFeed: mapping for channel "${mapping.channel}" needs a room template`);
      if (mapping.deliver !== undefined && mapping.deliver !== "publish" && mapping.deliver !== "event") throw new TypeError(`PgChangeFeed: "deliver" must be "publish" or "event"`);
      if (mapping.ops !== undefined && (!Array.isArray(mapping.ops) || mapping.ops.some((op) => !["insert", "update", "delete"].includes(op)))) throw new TypeError('PgChangeFeed: "ops" must list insert, update and/or delete');
      validateFilter("PgChangeFeed", mapping.filter);
      const list = this.byChannel.get(mapping.channel) ?? [];
      list.push(mapping);
      this.byChannel.set(mapping.channel, list);
    }
    this.options = {
      ...options,
      reconnectMinMs: options.reconnectMinMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      leaderPollMs: options.leaderPollMs ?? 2_000,
      lockName: options.lockName ?? `switchboard-feed:${[...this.byChannel.keys()].sort().join(",")}`,
    };
    this.session = new LeaderSession({
      connectionString: this.options.connectionString,
      lockName: this.options.lockName,
      applicationName: this.options.applicationName ?? "switchboard-change-feed",
      leaderPollMs: this.options.leaderPollMs,
      reconnectMinMs: this.options.reconnectMinMs,
      reconnectMaxMs: this.options.reconnectMaxMs,
      logger: this.options.logger,
      lead: (client) => this.listen(client),
      onState: (state, reason) => {
        if (state === "leader" || state === "standby") this.options.metrics?.connected?.(state);
        if (state === "disconnected") {
          this.counters.disconnects++;
          this.options.metrics?.disconnected?.(reason ?? "");
        }
      },
    });
  }

  start(): this {
    this.session.start();
    return this;
  }

  /** For /health: false while not connected to PostgreSQL. A standby node is healthy. */
  health(): HealthStatus {
    return this.session.health({ leader: `listening on ${[...this.byChannel.keys()].join(", ")}`, standby: "standby: another node holds the change-feed lock" });
  }

  get role(): FeedState {
    return this.session.state;
  }

  async close(): Promise<void> {
    await this.session.close();
    await this.queue;
  }

  /**
   * The leader LISTENs, then checks its session now and then (`SELECT 1` every
   * leaderPollMs), so a dead one is noticed and replaced even when no change flows.
   */
  private async listen(client: pg.Client): Promise<void> {
    client.on("notification", (message) => {
      this.queue = this.queue.then(() => this.onNotification(client, message));
    });
    for (const channel of this.byChannel.keys()) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    this.options.logger?.info({ channels: [...this.byChannel.keys()] }, "change feed: listening (this node holds the lock)");
    while (this.session.isLeading(client)) {
      await this.session.pause(this.options.leaderPollMs);
      if (!this.session.isLeading(client)) return;
      await client.query("SELECT 1");
    }
  }

  private async onNotification(client: pg.Client, message: Notification): Promise<void> {
    const mappings = this.byChannel.get(message.channel);
    if (mappings === undefined) return;
    this.counters.notifications++;
    this.options.metrics?.notification?.(message.channel);
    let payload: ChangePayload;
    try {
      const parsed: unknown = JSON.parse(message.payload ?? "");
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      payload = parsed as ChangePayload;
    } catch {
      return this.drop(message.channel, "invalid_json", { payload: message.payload?.slice(0, 200) });
    }
    if (payload.truncated === true) {
      try {
        await this.fetchFullRow(client, payload);
      } catch (error) {
        this.drop(message.channel, "fetch_failed", { err: error });
      }
    }
    for (const mapping of mappings) await this.deliver(mapping, payload);
  }

  /** The trigger sent only key columns because the change exceeded NOTIFY's 8000 bytes: read the row as it is now. */
  private async fetchFullRow(client: pg.Client, payload: ChangePayload): Promise<void> {
    const key = payload.new;
    if (typeof payload.schema !== "string" || typeof payload.table !== "string" || typeof key !== "object" || key === null) return;
    const columns = Object.entries(key as Record<string, unknown>);
    if (columns.length === 0) return;
    const where = columns.map(([column], index) => `t.${client.escapeIdentifier(column)} = $${index + 1}`).join(" AND ");
    const values = columns.map(([, value]) => (typeof value === "object" && value !== null ? JSON.stringify(value) : value));
    const sql = `SELECT to_jsonb(t) AS row FROM ${client.escapeIdentifier(payload.schema)}.${client.escapeIdentifier(payload.table)} t WHERE ${where} LIMIT 1`;
    const result = await client.query<{ row: Record<string, unknown> }>(sql, values);
    const row = result.rows[0]?.row;
    if (row === undefined) return; // Deleted since: deliver the key columns, still marked truncated.
    payload.new = row;
    delete payload.truncated;
  }

  private async deliver(mapping: ChangeFeedMapping, payload: ChangePayload): Promise<void> {
    if (mapping.ops !== undefined && !mapping.ops.includes(payload.op as ChangeOp)) return;
    if (!matchesFilter(mapping.filter, payload)) return;
    const target = renderRoute(mapping, payload);
    if (target === undefined) return this.drop(mapping.channel, "unmapped", { room: mapping.room, event: mapping.event });
    const { room, event } = target;
    try {
      if (mapping.deliver === "event") await this.sink.to(room).emit(event, payload);
      else await this.sink.publish(room, payload, { event });
      this.counters.delivered++;
      this.options.metrics?.delivered?.(mapping.channel, room);
    } catch (error) {
      this.drop(mapping.channel, "publish_failed", { err: error, room });
    }
  }

  private drop(channel: string, reason: "invalid_json" | "unmapped" | "publish_failed" | "fetch_failed", details: Record<string, unknown>): void {
    this.counters.dropped++;
    this.options.metrics?.dropped?.(channel, reason);
    this.options.logger?.warn({ channel, reason, ...details }, "change feed: notification not delivered");
  }
}

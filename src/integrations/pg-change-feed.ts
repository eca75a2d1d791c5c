import pg from "pg";
import type { Notification } from "pg";
import type { Logger } from "../log/logger.js";
import type { BroadcastApi } from "../server/broadcast-operator.js";
import { matchesFilter, renderRoute, validateFilter } from "./change-mapping.js";
import type { ChangeOp, RowFilter } from "./change-mapping.js";

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

/** Counters for metrics; every method optional and cheap. */
export interface ChangeFeedMetrics {
  connected?(role: "leader" | "standby"): void;
  disconnected?(reason: string): void;
  notification?(channel: string): void;
  delivered?(channel: string, room: string): void;
  dropped?(channel: string, reason: "invalid_json" | "unmapped" | "publish_failed" | "fetch_failed"): void;
  /** Logical replication: bytes of WAL the slot holds (current WAL position minus its confirmed position). */
  slotLag?(slot: string, bytes: number): void;
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

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

export type FeedState = "connecting" | "leader" | "standby" | "disconnected" | "closed";

type ChangePayload = Record<string, unknown>;

/** Bounds every query of the feed (lock, LISTEN, heartbeat, oversized-row fetch). */
const QUERY_TIMEOUT_MS = 10_000;

export class PgChangeFeed {
  private readonly options: Required<Pick<PgChangeFeedOptions, "reconnectMinMs" | "reconnectMaxMs" | "leaderPollMs" | "lockName">> & PgChangeFeedOptions;
  private readonly byChannel = new Map<string, ChangeFeedMapping[]>();
  private client: pg.Client | undefined;
  private state: FeedState = "connecting";
  private lastError = "";
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
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
  }

  start(): this {
    void this.connect();
    return this;
  }

  /** For /health: false while not connected to PostgreSQL. A standby node is healthy. */
  health(): HealthStatus {
    switch (this.state) {
      case "leader":
        return { ok: true, detail: `listening on ${[...this.byChannel.keys()].join(", ")}` };
      case "standby":
        return { ok: true, detail: "standby: another node holds the change-feed lock" };
      case "connecting":
        return { ok: false, detail: "connecting to PostgreSQL" };
      case "disconnected":
        return { ok: false, detail: `disconnected from PostgreSQL (${this.lastError}); reconnecting` };
      case "closed":
        return { ok: false, detail: "closed" };
    }
  }

  get role(): FeedState {
    return this.state;
  }

  async close(): Promise<void> {
    this.state = "closed";
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
    await this.queue;
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName ?? "switchboard-change-feed",
      // A half-open connection must not look healthy: TCP keepalive plus the leader's heartbeat query below.
      keepAlive: true,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    this.client = client;
    client.on("error", (error) => this.lost(client, error.message));
    client.on("end", () => this.lost(client, "connection ended"));
    client.on("notification", (message) => {
      this.queue = this.queue.then(() => this.onNotification(client, message));
    });
    try {
      await client.connect();
      this.attempt = 0;
      await this.tryToLead(client);
    } catch (error) {
      this.lost(client, error instanceof Error ? error.message : String(error));
    }
  }

  private async tryToLead(client: pg.Client): Promise<void> {
    if (this.client !== client) return;
    const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('switchboard'), hashtext($1)) AS locked", [this.options.lockName]);
    if (this.client !== client) return;
    if (result.rows[0]?.locked === true) {
      for (const channel of this.byChannel.keys()) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      this.state = "leader";
      this.options.logger?.info({ channels: [...this.byChannel.keys()] }, "change feed: listening (this node holds the lock)");
      this.options.metrics?.connected?.("leader");
      this.scheduleHeartbeat(client);
      return;
    }
    if (this.state !== "standby") {
      this.state = "standby";
      this.options.logger?.info("change feed: standby (another node holds the lock)");
      this.options.metrics?.connected?.("standby");
    }
    this.timer = setTimeout(() => {
      this.tryToLead(client).catch((error: unknown) => this.lost(client, error instanceof Error ? error.message : String(error)));
    }, this.options.leaderPollMs);
    this.timer.unref();
  }

  /** The leader checks its session now and then, so a dead one is noticed and replaced even when no change flows. */
  private scheduleHeartbeat(client: pg.Client): void {
    this.timer = setTimeout(() => {
      if (this.client !== client) return;
      client.query("SELECT 1").then(
        () => this.scheduleHeartbeat(client),
        (error: unknown) => this.lost(client, error instanceof Error ? error.message : String(error)),
      );
    }, this.options.leaderPollMs);
    this.timer.unref();
  }

  /** Called on error and on end (often both): the first call for the current client schedules the reconnect. */
  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client || this.state === "closed") return;
    this.client = undefined;
    clearTimeout(this.timer);
    client.end().catch(() => undefined);
    this.state = "disconnected";
    this.lastError = reason;
    this.counters.disconnects++;
    this.options.metrics?.disconnected?.(reason);
    const backoff = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempt);
    this.attempt++;
    const wait = backoff / 2 + Math.random() * (backoff / 2);
    this.options.logger?.warn({ reason, retryInMs: Math.round(wait) }, "change feed: lost PostgreSQL connection; reconnecting");
    this.timer = setTimeout(() => void this.connect(), wait);
    this.timer.unref();
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

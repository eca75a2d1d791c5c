import type pg from "pg";
import type { Logger } from "../log/logger.js";
import { ChangeRouter, validateTableMappings } from "./change-mapping.js";
import type { ChangeOp, Row, TableMapping } from "./change-mapping.js";
import { DurableDelivery, countDeliveries } from "./durable-delivery.js";
import type { DurableSink } from "./durable-delivery.js";
import { LeaderSession } from "./leader-session.js";
import type { ChangeFeedMetrics, FeedState, HealthStatus } from "./feed-types.js";

/**
 * Outbox mode: reads the `switchboard_outbox` table that the shipped migration
 * (src/integrations/sql/switchboard-outbox.sql) fills in the changing
 * transactions, in id (= commit) order, publishes each row to its rooms, and
 * deletes the rows only once their publications are in room history.
 *
 * One node reads at a time (a session advisory lock); the others stand by and
 * take over when its session ends. A reader that crashed after publishing but
 * before deleting leaves rows behind; the next reader finds their positions in
 * room history and skips them (see DurableDelivery), so each change is in
 * history once.
 */
export interface OutboxFeedOptions {
  connectionString: string;
  mappings: TableMapping[];
  /** The outbox table, optionally schema-qualified. Default "switchboard_outbox". */
  table?: string;
  /** Name carried in every publication (`data.feed`) and used to find this feed's positions in history. Default: the table name. */
  feedName?: string;
  /** Rows read per query. Default 500. */
  batchSize?: number;
  /** Reads even without a NOTIFY wake-up this often (ms). Default 1000. */
  pollMs?: number;
  /** How often a standby tries to take the lock (ms). Default 2000. */
  leaderPollMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Wait after a failed publication before retrying it (ms). Default 500. */
  retryMs?: number;
  applicationName?: string;
  metrics?: ChangeFeedMetrics;
  logger?: Logger;
}

interface OutboxRow {
  position: string;
  schema_name: string;
  table_name: string;
  op: ChangeOp;
  new_row: Row | null;
  old_row: Row | null;
}

const WAKE_CHANNEL = "switchboard_outbox";

export class OutboxFeed {
  readonly counters = { delivered: 0, duplicates: 0, filtered: 0, dropped: 0, disconnects: 0, rows: 0 };
  private readonly session: LeaderSession;
  private readonly delivery: DurableDelivery;
  private readonly table: string;
  private readonly feedName: string;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private wake: (() => void) | undefined;
  private woken = false;
  private closed = false;

  constructor(
    sink: DurableSink,
    private readonly options: OutboxFeedOptions,
  ) {
    if (typeof options.connectionString !== "string" || options.connectionString.length === 0) throw new TypeError('OutboxFeed: "connectionString" is required');
    validateTableMappings("OutboxFeed", options.mappings);
    this.table = options.table ?? "switchboard_outbox";
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(this.table)) throw new TypeError('OutboxFeed: "table" must be a plain (optionally schema-qualified) identifier');
    this.feedName = options.feedName ?? this.table;
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 1_000;
    this.retryMs = options.retryMs ?? 500;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new TypeError('OutboxFeed: "batchSize" must be a positive integer');
    const metrics = options.metrics;
    this.delivery = new DurableDelivery(sink, new ChangeRouter(options.mappings), this.feedName, compareIds, countDeliveries(this.counters, this.feedName, metrics), options.logger);
    this.session = new LeaderSession({
      connectionString: options.connectionString,
      lockName: `outbox-reader:${this.table}`,
      applicationName: options.applicationName ?? "switchboard-outbox-feed",
      leaderPollMs: options.leaderPollMs ?? 2_000,
      reconnectMinMs: options.reconnectMinMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      logger: options.logger,
      lead: (client) => this.read(client),
      onState: (state, reason) => {
        if (state === "leader" || state === "standby") metrics?.connected?.(state);
        if (state === "disconnected") {
          this.counters.disconnects++;
          metrics?.disconnected?.(reason ?? "");
        }
        this.wake?.();
      },
    });
  }

  start(): this {
    this.session.start();
    return this;
  }

  get role(): FeedState {
    return this.session.state;
  }

  health(): HealthStatus {
    return this.session.health({ leader: `reading ${this.table}`, standby: "standby: another node reads the outbox" });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.session.close();
  }

  /** The leader's loop: read a batch in id order, publish it, delete it; wait for a wake-up when the outbox is empty. */
  private async read(client: pg.Client): Promise<void> {
    this.delivery.reset();
    client.on("notification", (notification) => {
      if (notification.channel !== WAKE_CHANNEL) return;
      this.options.metrics?.notification?.(this.feedName);
      this.woken = true;
      this.wake?.();
    });
    await client.query(`LISTEN ${WAKE_CHANNEL}`);
    // The id travels as text (a bigint may exceed a JS number); under another name, so ORDER BY sorts the bigint column.
    const select = `SELECT id::text AS position, schema_name, table_name, op, new_row, old_row FROM ${this.table} ORDER BY id LIMIT $1`;
    const remove = `DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`;
    while (this.session.isLeading(client) && !this.closed) {
      this.woken = false;
      const { rows } = await client.query<OutboxRow>(select, [this.batchSize]);
      let done = 0;
      try {
        for (const row of rows) {
          if (!this.session.isLeading(client)) return;
          await this.delivery.deliver({ op: row.op, schema: row.schema_name, table: row.table_name, new: row.new_row, old: row.old_row, position: row.position });
          done++;
        }
      } catch (error) {
        // Not confirmed: the rows stay, and the failed one is retried first (order per room is kept).
        this.counters.dropped++;
        this.options.metrics?.dropped?.(this.feedName, "publish_failed");
        this.options.logger?.warn({ err: error, position: rows[done]?.position }, "change feed: publishing an outbox row failed; retrying");
      }
      if (done > 0) {
        if (!this.session.isLeading(client)) return;
        await client.query(remove, [rows.slice(0, done).map((row) => row.position)]);
        this.counters.rows += done;
      }
      if (done < rows.length) await this.pause(this.retryMs);
      else if (rows.length < this.batchSize && !this.woken) await this.pause(this.pollMs);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

function compareIds(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}


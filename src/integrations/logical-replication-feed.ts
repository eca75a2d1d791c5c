import pg from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import type { Pgoutput } from "pg-logical-replication";
import type { Logger } from "../log/logger.js";
import { ChangeRouter, validateTableMappings } from "./change-mapping.js";
import type { Row, TableMapping } from "./change-mapping.js";
import { DurableDelivery, countDeliveries } from "./durable-delivery.js";
import type { DurableSink } from "./durable-delivery.js";
import { QUERY_TIMEOUT_MS, message } from "./leader-session.js";
import { compareLsn, formatLsn, parseLsn } from "./lsn.js";
import { feedHealth } from "./feed-types.js";
import type { ChangeFeedMetrics, FeedState, HealthStatus } from "./feed-types.js";

/**
 * Logical replication mode (wal_level = logical): streams the changes of a
 * publication from a named replication slot with the pgoutput plugin, through
 * the maintained `pg-logical-replication` client. The slot keeps every change
 * until it is confirmed, and this feed confirms a transaction's end position
 * only once each of its changes is in room history; after a crash or restart
 * the slot sends the unconfirmed transactions again and the ones already in
 * history are skipped by position (commit LSN and index in the transaction).
 *
 * A slot has one reader at a time: PostgreSQL refuses a second one ("slot is
 * active"), so other nodes stand by and retry every `leaderPollMs`.
 */
export interface LogicalReplicationFeedOptions {
  connectionString: string;
  mappings: TableMapping[];
  /** Replication slot name. Default "switchboard". */
  slot?: string;
  /** Publication name. Default "switchboard". */
  publication?: string;
  /** Create the slot when missing (needs the REPLICATION attribute). Default true. */
  createSlot?: boolean;
  /** Create the publication for the mapped tables when missing (needs ownership of them). Default true. */
  createPublication?: boolean;
  /** Name carried in every publication (`data.feed`). Default: the slot name. */
  feedName?: string;
  /** How often the slot's lag is read (ms). Default 5000. */
  lagPollMs?: number;
  /** /health reports the feed as not ok (degraded) when the slot holds more WAL than this. Default 256 MiB. */
  lagWarnBytes?: number;
  leaderPollMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  applicationName?: string;
  metrics?: ChangeFeedMetrics;
  logger?: Logger;
}

const SLOT_IN_USE = "55006";
/** Backpressure bounds: changes held in memory before the socket stops being read, and where reading resumes. */
const PAUSE_AT = 5_000;
const RESUME_AT = 1_000;
const DUPLICATE_OBJECT = "42710";

export class LogicalReplicationFeed {
  readonly counters = { delivered: 0, duplicates: 0, filtered: 0, dropped: 0, disconnects: 0, transactions: 0 };
  private readonly delivery: DurableDelivery;
  private readonly slot: string;
  private readonly publication: string;
  private readonly feedName: string;
  private readonly lagWarnBytes: number;
  private state: FeedState = "connecting";
  private lastError = "";
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private admin: pg.Client | undefined;
  private service: LogicalReplicationService | undefined;
  /** Changes are handled one after the other, in stream order, each awaited before the next. */
  private chain: Promise<void> = Promise.resolve();
  /** The position confirmed to the slot (end of the last transaction fully in history). */
  private confirmed: bigint = 0n;
  private transaction: { commitLsn: string; index: number } | undefined;
  /** Bytes of WAL the slot holds, read every lagPollMs; undefined until read. */
  lagBytes: number | undefined;

  constructor(
    sink: DurableSink,
    private readonly options: LogicalReplicationFeedOptions,
  ) {
    if (typeof options.connectionString !== "string" || options.connectionString.length === 0) throw new TypeError('LogicalReplicationFeed: "connectionString" is required');
    validateTableMappings("LogicalReplicationFeed", options.mappings);
    this.slot = options.slot ?? "switchboard";
    this.publication = options.publication ?? "switchboard";
    if (!/^[a-z0-9_]{1,63}$/.test(this.slot)) throw new TypeError('LogicalReplicationFeed: "slot" must be 1-63 lower-case letters, digits or _');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(this.publication)) throw new TypeError('LogicalReplicationFeed: "publication" must be a plain identifier');
    this.feedName = options.feedName ?? this.slot;
    this.lagWarnBytes = options.lagWarnBytes ?? 256 * 1024 * 1024;
    const metrics = options.metrics;
    this.delivery = new DurableDelivery(sink, new ChangeRouter(options.mappings), this.feedName, comparePositions, countDeliveries(this.counters, this.feedName, metrics), options.logger);
  }

  start(): this {
    void this.connect();
    return this;
  }

  get role(): FeedState {
    return this.state;
  }

  health(): HealthStatus {
    const lag = this.lagBytes;
    if ((this.state === "leader" || this.state === "standby") && lag !== undefined && lag > this.lagWarnBytes) {
      return { ok: false, detail: `replication slot "${this.slot}" holds ${formatBytes(lag)} of WAL (more than ${formatBytes(this.lagWarnBytes)}): changes are not being confirmed` };
    }
    return feedHealth(this.state, this.lastError, {
      leader: `streaming slot "${this.slot}"${lag === undefined ? "" : `, ${formatBytes(lag)} behind`}`,
      standby: `standby: another node streams slot "${this.slot}"`,
    });
  }

  async close(): Promise<void> {
    this.setState("closed");
    clearTimeout(this.timer);
    clearTimeout(this.lagTimer);
    const service = this.service;
    this.service = undefined;
    await service?.destroy().catch(() => undefined);
    await this.chain;
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
  }

  private setState(state: FeedState, reason?: string): void {
    // Every loss is reported (each failed reconnect too); other states once per change.
    if ((this.state === state && state !== "disconnected") || this.state === "closed") return;
    this.state = state;
    if (state === "leader" || state === "standby") this.options.metrics?.connected?.(state);
    if (state === "disconnected") {
      this.counters.disconnects++;
      this.options.metrics?.disconnected?.(reason ?? "");
    }
  }

  /** A normal session for setup and for reading the slot's lag; kept open while the feed runs. */
  private async adminClient(): Promise<pg.Client> {
    if (this.admin !== undefined) return this.admin;
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: `${this.options.applicationName ?? "switchboard-replication-feed"}-admin`, keepAlive: true, query_timeout: QUERY_TIMEOUT_MS });
    client.on("error", () => {
      if (this.admin === client) this.admin = undefined;
    });
    client.on("end", () => {
      if (this.admin === client) this.admin = undefined;
    });
    await client.connect();
    this.admin = client;
    return client;
  }

  private async setUp(client: pg.Client): Promise<bigint> {
    if (this.options.createPublication !== false) {
      const exists = await client.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [this.publication]);
      if (exists.rowCount === 0) {
        const tables = new ChangeRouter(this.options.mappings).tables().map((table) => table.split(".").map((part) => client.escapeIdentifier(part)).join("."));
        await client.query(`CREATE PUBLICATION ${client.escapeIdentifier(this.publication)} FOR TABLE ${tables.join(", ")}`).catch(ignore(DUPLICATE_OBJECT));
      }
    }
    let slot = await client.query<{ confirmed: string | null }>("SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1", [this.slot]);
    if (slot.rowCount === 0) {
      if (this.options.createSlot === false) throw new Error(`replication slot "${this.slot}" does not exist`);
      await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [this.slot]).catch(ignore(DUPLICATE_OBJECT));
      this.options.logger?.info({ slot: this.slot }, "change feed: created the replication slot");
      slot = await client.query("SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1", [this.slot]);
    }
    return parseLsn(slot.rows[0]?.confirmed ?? "0/0");
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    let service: LogicalReplicationService | undefined;
    try {
      const admin = await this.adminClient();
      this.scheduleLag();
      this.confirmed = await this.setUp(admin);
      if ((this.state as FeedState) === "closed") return;
      service = new LogicalReplicationService(
        { connectionString: this.options.connectionString, application_name: this.options.applicationName ?? "switchboard-replication-feed", keepAlive: true },
        // Confirmations are this feed's alone: never the library's automatic ones, which would confirm what is not yet in history.
        { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
      );
      this.service = service;
      const current = service;
      this.transaction = undefined;
      this.delivery.reset();
      // Changes received and not yet handled: the stream pauses when a backlog (after an outage) outruns publishing.
      let pending = 0;
      service.on("error", (error: Error) => this.lost(current, error.message));
      service.on("start", () => {
        this.attempt = 0;
        this.setState("leader");
        this.options.logger?.info({ slot: this.slot, from: formatLsn(this.confirmed) }, "change feed: streaming the replication slot");
      });
      service.on("data", (_lsn: string, change: Pgoutput.Message) => {
        pending++;
        if (pending === PAUSE_AT) replicationStream(current)?.pause();
        this.chain = this.chain.then(() => this.handle(current, change)).finally(() => {
          pending--;
          if (pending === RESUME_AT) replicationStream(current)?.resume();
        });
      });
      service.on("heartbeat", (lsn: string, _timestamp: number, shouldRespond: boolean) => {
        if (shouldRespond) this.acknowledge(current, this.confirmed);
        // After every change received before it is handled: with no transaction open, all
        // WAL up to the keepalive's position is handled (or not ours), so it can be confirmed.
        this.chain = this.chain.then(() => {
          if (this.service !== current || this.transaction !== undefined) return;
          const position = parseLsn(lsn);
          if (position > this.confirmed) {
            this.confirmed = position;
            this.acknowledge(current, position);
          }
        });
      });
      await service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.publication] }), this.slot, "0/0");
      // The stream ended without an error (the server closed it).
      this.lost(service, "replication stream ended");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === SLOT_IN_USE) return this.standby(service);
      this.lost(service, message(error));
    }
  }

  private standby(service: LogicalReplicationService | undefined): void {
    if (service !== undefined && this.service !== service) return; // already handled (its error event came first)
    this.service = undefined;
    clearTimeout(this.timer);
    void service?.destroy().catch(() => undefined);
    if (this.state === "closed") return;
    if (this.state !== "standby") this.options.logger?.info({ slot: this.slot }, "change feed: standby (another node streams the slot)");
    this.setState("standby");
    this.attempt = 0;
    this.timer = setTimeout(() => void this.connect(), this.options.leaderPollMs ?? 2_000);
    this.timer.unref();
  }

  private lost(service: LogicalReplicationService | undefined, reason: string): void {
    if (this.state === "closed") return;
    if (service !== undefined) {
      if (this.service !== service) return;
      this.service = undefined;
      void service.destroy().catch(() => undefined);
    }
    clearTimeout(this.timer);
    this.lastError = reason;
    this.setState("disconnected", reason);
    const minMs = this.options.reconnectMinMs ?? 250;
    const backoff = Math.min(this.options.reconnectMaxMs ?? 10_000, minMs * 2 ** this.attempt);
    this.attempt++;
    const wait = backoff / 2 + Math.random() * (backoff / 2);
    this.options.logger?.warn({ reason, retryInMs: Math.round(wait) }, "change feed: replication stream lost; resuming from the slot");
    this.timer = setTimeout(() => void this.connect(), wait);
    this.timer.unref();
  }

  private async handle(service: LogicalReplicationService, change: Pgoutput.Message): Promise<void> {
    if (this.service !== service) return; // A stream that failed: its slot sends these again.
    switch (change.tag) {
      case "begin":
        this.transaction = { commitLsn: formatLsn(parseLsn(change.commitLsn ?? "0/0")), index: 0 };
        return;
      case "insert":
      case "update":
      case "delete": {
        const transaction = this.transaction;
        if (transaction === undefined) return;
        const position = `${transaction.commitLsn}:${transaction.index++}`;
        const row = (tuple: Record<string, unknown> | null | undefined): Row | null => (tuple === null || tuple === undefined ? null : normalizeRow(tuple));
        try {
          await this.delivery.deliver({
            op: change.tag,
            schema: change.relation.schema,
            table: change.relation.name,
            new: change.tag === "delete" ? null : row(change.new),
            old: change.tag === "insert" ? null : row(change.old ?? change.key),
            position,
          });
        } catch (error) {
          // Unconfirmed: drop the stream and resume from the slot, which sends the transaction again.
          this.counters.dropped++;
          this.options.metrics?.dropped?.(this.feedName, "publish_failed");
          this.options.logger?.warn({ err: error, position }, "change feed: publishing a change failed; resuming from the slot");
          this.lost(service, `publish failed: ${message(error)}`);
        }
        return;
      }
      case "commit": {
        this.transaction = undefined;
        this.counters.transactions++;
        const end = parseLsn(change.commitEndLsn ?? "0/0");
        if (end > this.confirmed) this.confirmed = end;
        this.acknowledge(service, this.confirmed);
        return;
      }
      default:
        return; // relation, type, origin, truncate, message: nothing to deliver.
    }
  }

  /** Reports `position` as written, flushed and applied. The library adds one to what it is given, so one is taken off. */
  private acknowledge(service: LogicalReplicationService, position: bigint): void {
    if (this.service !== service || position === 0n) return;
    void service.acknowledge(formatLsn(position - 1n)).catch(() => undefined);
  }

  private scheduleLag(): void {
    if (this.lagTimer !== undefined) return;
    const read = async (): Promise<void> => {
      try {
        const admin = await this.adminClient();
        const result = await admin.query<{ lag: number | null }>(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag FROM pg_replication_slots WHERE slot_name = $1",
          [this.slot],
        );
        const lag = result.rows[0]?.lag;
        if (lag !== null && lag !== undefined) {
          this.lagBytes = lag;
          this.options.metrics?.slotLag?.(this.slot, lag);
        }
      } catch {
        // The stream's own reconnects report the outage; the lag is read again next time.
      }
    };
    const loop = (): void => {
      this.lagTimer = setTimeout(() => {
        if (this.state === "closed") return;
        void read().finally(loop);
      }, this.options.lagPollMs ?? 5_000);
      this.lagTimer.unref();
    };
    void read();
    loop();
  }
}

/**
 * The socket under the library's replication connection, to pause it: the
 * library's own flow control does the same, but it handles keepalives out of
 * stream order, which the idle confirmation above relies on.
 */
function replicationStream(service: LogicalReplicationService): { pause(): void; resume(): void } | undefined {
  const stream = (service as unknown as { _connection?: { stream?: { pause?: unknown; resume?: unknown } } | null })._connection?.stream;
  return typeof stream?.pause === "function" && typeof stream.resume === "function" ? (stream as { pause(): void; resume(): void }) : undefined;
}

function ignore(code: string): (error: unknown) => void {
  return (error) => {
    if ((error as { code?: unknown }).code !== code) throw error;
  };
}

/** Positions are "<commit LSN>:<index in the transaction>": commit order, then order inside the transaction. */
function comparePositions(a: string, b: string): number {
  const [lsnA = "0/0", indexA = "0"] = a.split(":");
  const [lsnB = "0/0", indexB = "0"] = b.split(":");
  return compareLsn(lsnA, lsnB) || Number(indexA) - Number(indexB);
}

/** Column values as JSON would carry them, close to what to_jsonb() gives the outbox mode. */
function normalizeRow(tuple: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [column, value] of Object.entries(tuple)) row[column] = normalizeValue(value);
  return row;
}

function normalizeValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  if (Array.isArray(value)) return value.map(normalizeValue);
  return value;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

import pg from "pg";
import type { Logger } from "../log/logger.js";
import { feedHealth } from "./feed-types.js";
import type { FeedState, HealthStatus } from "./feed-types.js";

/**
 * A PostgreSQL session that elects one leader among nodes with a session
 * advisory lock, reconnecting with backoff. The leader gets its client through
 * `lead(client)`, which runs until the session is lost or the feed closes.
 * PostgreSQL releases the lock when the leader's session ends (crash, network
 * loss, pg_terminate_backend), and a standby takes it within `leaderPollMs`.
 */
export type SessionState = FeedState;

export interface LeaderSessionOptions {
  connectionString: string;
  lockName: string;
  applicationName: string;
  leaderPollMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger?: Logger | undefined;
  /** Runs while this node leads; resolves or rejects when it stops leading. */
  lead(client: pg.Client): Promise<void>;
  onState?(state: SessionState, reason?: string): void;
}

/** Bounds every query of a feed session. */
export const QUERY_TIMEOUT_MS = 10_000;

export class LeaderSession {
  private client: pg.Client | undefined;
  private leading: pg.Client | undefined;
  private current: SessionState = "connecting";
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Wakes the leader's pause() early when the session ends or the feed closes. */
  private wakers = new Set<() => void>();
  lastError = "";
  disconnects = 0;

  constructor(private readonly options: LeaderSessionOptions) {}

  get state(): SessionState {
    return this.current;
  }

  /** For /health: unhealthy while not connected to PostgreSQL; a standby node is healthy. The feed names what it does as leader and standby. */
  health(details: { leader: string; standby: string }): HealthStatus {
    return feedHealth(this.current, this.lastError, details);
  }

  start(): this {
    void this.connect();
    return this;
  }

  /** Whether `client` is still the leading session: checked before each step of the leader's work. */
  isLeading(client: pg.Client): boolean {
    return this.leading === client && this.client === client && this.current === "leader";
  }

  /** Waits `ms`, or less when the session is lost or closed meanwhile (so close() never waits out a poll interval). */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** The leader's work found the session broken: drop it (and the lock) and reconnect. */
  fail(client: pg.Client, reason: string): void {
    this.lost(client, reason);
  }

  async close(): Promise<void> {
    this.setState("closed");
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.leading = undefined;
    if (client !== undefined) await client.end().catch(() => undefined);
    await this.running.catch(() => undefined);
  }

  /** Every loss is reported (each failed reconnect too, for the disconnect counters); other states once per change. */
  private setState(state: SessionState, reason?: string): void {
    if (this.current === state && state !== "disconnected") return;
    this.current = state;
    if (state === "closed" || state === "disconnected") this.wakeAll();
    this.options.onState?.(state, reason);
  }

  private async connect(): Promise<void> {
    if (this.current === "closed") return;
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName,
      keepAlive: true,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    this.client = client;
    client.on("error", (error) => this.lost(client, error.message));
    client.on("end", () => this.lost(client, "connection ended"));
    try {
      await client.connect();
      this.attempt = 0;
      await this.tryToLead(client);
    } catch (error) {
      this.lost(client, message(error));
    }
  }

  private async tryToLead(client: pg.Client): Promise<void> {
    if (this.client !== client) return;
    const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('switchboard'), hashtext($1)) AS locked", [this.options.lockName]);
    if (this.client !== client) return;
    if (result.rows[0]?.locked === true) {
      this.leading = client;
      this.setState("leader");
      this.options.logger?.info({ lock: this.options.lockName }, "change feed: this node reads (it holds the lock)");
      this.running = this.options.lead(client).then(
        () => undefined,
        (error: unknown) => this.lost(client, message(error)),
      );
      return;
    }
    if (this.current !== "standby") {
      this.setState("standby");
      this.options.logger?.info("change feed: standby (another node holds the lock)");
    }
    this.timer = setTimeout(() => {
      this.tryToLead(client).catch((error: unknown) => this.lost(client, message(error)));
    }, this.options.leaderPollMs);
    this.timer.unref();
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client || this.current === "closed") return;
    this.client = undefined;
    this.leading = undefined;
    clearTimeout(this.timer);
    client.end().catch(() => undefined);
    this.lastError = reason;
    this.disconnects++;
    this.setState("disconnected", reason);
    const backoff = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempt);
    this.attempt++;
    const wait = backoff / 2 + Math.random() * (backoff / 2);
    this.options.logger?.warn({ reason, retryInMs: Math.round(wait) }, "change feed: lost PostgreSQL connection; reconnecting");
    this.timer = setTimeout(() => void this.connect(), wait);
    this.timer.unref();
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

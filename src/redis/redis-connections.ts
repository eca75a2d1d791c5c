import { Cluster, Redis } from "ioredis";
import type { ClusterNode } from "ioredis";
import { applyCommandDeadline } from "./command-deadline.js";
import { RedisKeys } from "./redis-keys.js";

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** A redis:// or rediss:// URL of a standalone Redis (or the entry point of a cluster when `cluster` is set). */
  url: string;
  /** Treat the URL as one node of a Redis Cluster and discover the rest. */
  cluster?: boolean;
  /** Prefix of every key and channel. Default "switchboard:". */
  keyPrefix?: string;
  /**
   * Commands (publish, history, presence, and the subscriber's subscribe and unsubscribe) fail after Redis has answered nothing on their connection
   * for this long since they were sent, instead of hanging on a stalled Redis. A node that is merely
   * busy, or waits behind its own pipeline while replies keep coming, fails none. Default 5000.
   */
  commandTimeoutMs?: number;
}

/** Reconnect backoff: quick at first, at most 2 s apart, forever; a node outlives a Redis outage. */
function retryDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);
}

/**
 * The two Redis connections a node needs, shared by the broker and the stores:
 * one for commands and publishing (no offline queue, so a call fails at once
 * while Redis is away instead of piling up) and one in subscriber mode. Each
 * user acquires a reference; the connections close with the last release, so
 * stores closing in parallel with the broker never find the connection gone.
 */
export class RedisConnections {
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  readonly keys: RedisKeys;
  readonly description: string;
  readonly isCluster: boolean;
  private references = 0;
  private closing: Promise<void> | undefined;
  private lastError: string | undefined;
  private everReady = false;

  constructor(options: RedisConnectionOptions) {
    this.keys = new RedisKeys(options.keyPrefix);
    this.description = describeUrl(options.url);
    this.isCluster = options.cluster === true;
    const commandTimeout = options.commandTimeoutMs ?? 5_000;
    // Auto-pipelining: the commands a node issues in one turn of its event loop (the publications of
    // a burst, the joins of a storm) leave in one write, so Redis runs them in one pass and hands
    // each subscribing node their messages in one write; each node then delivers them in one turn,
    // and every member's socket gets them in one writev. Written one by one, they reach Redis apart
    // and every node delivers each in a turn and a write per member of its own.
    if (this.isCluster) {
      const entry = new URL(options.url);
      const startup: ClusterNode[] = [{ host: entry.hostname, port: Number(entry.port || 6379) }];
      const redisOptions = { ...(entry.password === "" ? {} : { password: decodeURIComponent(entry.password) }), ...(entry.username === "" ? {} : { username: decodeURIComponent(entry.username) }) };
      this.commands = new Cluster(startup, { redisOptions: { ...redisOptions, maxRetriesPerRequest: 1 }, enableAutoPipelining: true, enableOfflineQueue: false, clusterRetryStrategy: retryDelay });
      this.subscriber = new Cluster(startup, { redisOptions, shardedSubscribers: true, clusterRetryStrategy: retryDelay });
    } else {
      this.commands = new Redis(options.url, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: retryDelay });
      // Subscriptions are restored by RedisBroker itself on every "ready", from its own topic set; a (un)subscribe
      // left unanswered on a lost connection is not sent again on the next one, where it would undo a later decision.
      this.subscriber = new Redis(options.url, { autoResubscribe: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: null, retryStrategy: retryDelay });
    }
    // Not ioredis's commandTimeout: that timer measures this process's event loop, not Redis (see command-deadline.ts).
    applyCommandDeadline(this.commands, commandTimeout);
    // A room's subscription waits on the subscriber, a join on it: the same rule refuses the join instead of a hang.
    // (A Cluster's sharded subscribers are connections ioredis makes itself, which this cannot watch.)
    applyCommandDeadline(this.subscriber, commandTimeout);
    this.commands.once("ready", () => {
      this.everReady = true;
    });
    for (const client of [this.commands, this.subscriber]) {
      client.on("error", (error: Error) => {
        this.lastError = error.message;
      });
    }
  }

  /**
   * The commands connection, once usable. Before its first connection a caller
   * waits for it (up to `firstConnectTimeoutMs`); after that, a call while Redis
   * is away fails at once, so that clients get `unavailable` instead of a hang.
   */
  async usableCommands(firstConnectTimeoutMs = 5_000): Promise<RedisClient> {
    const commands = this.commands;
    if (commands.status === "ready") return commands;
    // "connect": the socket is open and ioredis is running its ready check; that is still the first connection.
    if (!this.everReady && (commands.status === "connecting" || commands.status === "connect" || commands.status === "wait")) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, firstConnectTimeoutMs);
        timer.unref();
        function done(): void {
          clearTimeout(timer);
          commands.off("ready", done);
          resolve();
        }
        commands.on("ready", done);
      });
      if ((commands.status as string) === "ready") return commands;
    }
    throw new Error(`redis is ${this.state()}`);
  }

  acquire(): this {
    this.references++;
    return this;
  }

  /** Both connections are usable. */
  get ready(): boolean {
    return this.commands.status === "ready" && this.subscriber.status === "ready";
  }

  /** A short state for health checks and logs. */
  state(): string {
    if (this.ready) return "ready";
    const status = this.commands.status === "ready" ? this.subscriber.status : this.commands.status;
    return this.lastError === undefined ? status : `${status} (${this.lastError})`;
  }

  /** Resolves when both connections are ready, or false after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.ready) return;
        finish(true);
      };
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.commands.off("ready", check);
        this.subscriber.off("ready", check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      timer.unref();
      this.commands.on("ready", check);
      this.subscriber.on("ready", check);
    });
  }

  /** Releases one reference; the last one closes both connections. */
  release(): Promise<void> {
    this.references--;
    if (this.references > 0) return Promise.resolve();
    this.closing ??= Promise.allSettled([quit(this.commands), quit(this.subscriber)]).then(() => undefined);
    return this.closing;
  }
}

async function quit(client: RedisClient): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through to a hard disconnect.
    }
  }
  client.disconnect();
}

/** The URL without its password, for logs and health. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "redis (unparsable URL)";
  }
}

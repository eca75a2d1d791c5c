import { randomUUID } from "node:crypto";
import { assertBackendUrl } from "./backend-url.js";
import type { Logger } from "../log/logger.js";
import type { Switchboard } from "../server/switchboard.js";
import { callBackend } from "./backend-call.js";
import type { BackendEndpoint } from "./backend-call.js";
import { describeOutcome, isSuccess } from "./backend-errors.js";
import type { HealthStatus } from "./pg-change-feed.js";

export type WebhookEventType = "connect" | "disconnect" | "join" | "leave";

/** One entry of a webhook batch. */
export interface WebhookEvent {
  type: WebhookEventType;
  /** ms since epoch, when it happened on the node. */
  ts: number;
  node: string;
  connectionId: string;
  userId: string | null;
  room?: string;
  /** disconnect only: the close code and reason. */
  code?: number;
  reason?: string;
}

/** The body of a webhook POST. The `Idempotency-Key` header is the same on every retry of a batch. */
export interface WebhookBatch {
  node: string;
  events: WebhookEvent[];
}

export interface WebhookOptions extends BackendEndpoint {
  /** Which events to send. Default all four. */
  events?: WebhookEventType[];
  /** Events per POST. Default 100. */
  maxBatch?: number;
  /** How long an event waits for companions before its batch is sent. Default 1000. */
  flushIntervalMs?: number;
  /** Events held while the endpoint is slow or down; beyond it the oldest are dropped (and counted). Default 10000. */
  maxQueue?: number;
  /** Retries of a failed batch before it is dropped. Default 5. */
  maxRetries?: number;
  /** First retry delay, doubled each time. Default 500. */
  retryDelayMs?: number;
  logger?: Logger;
}

/**
 * Sends connection and room lifecycle events to an HTTP endpoint in batches.
 * Lifecycle listeners only push onto a bounded in-memory queue; one sender loop
 * does the HTTP, so a slow or dead endpoint never blocks the WebSocket path.
 * Delivery is at least once while the node runs (retries reuse the batch's
 * Idempotency-Key); events still queued when the node dies are lost.
 */
export class WebhookDispatcher {
  readonly counters = { sent: 0, dropped: 0, failedAttempts: 0 };
  private readonly queue: WebhookEvent[] = [];
  private readonly settings: Required<Pick<WebhookOptions, "maxBatch" | "flushIntervalMs" | "maxQueue" | "maxRetries" | "retryDelayMs">>;
  private readonly types: Set<WebhookEventType>;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private lastFailure: string | undefined;
  private detach: (() => void) | undefined;

  constructor(private readonly options: WebhookOptions) {
    assertBackendUrl(options.url, "WebhookDispatcher", { carriesCredentials: false, allowLinkLocal: options.allowLinkLocal });
    this.settings = {
      maxBatch: options.maxBatch ?? 100,
      flushIntervalMs: options.flushIntervalMs ?? 1_000,
      maxQueue: options.maxQueue ?? 10_000,
      maxRetries: options.maxRetries ?? 5,
      retryDelayMs: options.retryDelayMs ?? 500,
    };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!Number.isInteger(value) || value < (name === "maxRetries" ? 0 : 1)) throw new TypeError(`WebhookDispatcher: "${name}" must be a positive integer`);
    }
    this.types = new Set(options.events ?? ["connect", "disconnect", "join", "leave"]);
  }

  /** Listens to a node's lifecycle events. */
  attach(sb: Switchboard): this {
    const node = sb.node;
    const base = (type: WebhookEventType, connection: { id: string; userId: string | null }): WebhookEvent => ({ type, ts: Date.now(), node, connectionId: connection.id, userId: connection.userId });
    const onConnect = (connection: { id: string; userId: string | null }): void => this.push(base("connect", connection));
    const onDisconnect = (connection: { id: string; userId: string | null }, code: number, reason: string): void => this.push({ ...base("disconnect", connection), code, reason });
    const onJoin = (connection: { id: string; userId: string | null }, room: string): void => this.push({ ...base("join", connection), room });
    const onLeave = (connection: { id: string; userId: string | null }, room: string): void => this.push({ ...base("leave", connection), room });
    if (this.types.has("connect")) sb.on("connect", onConnect);
    if (this.types.has("disconnect")) sb.on("disconnect", onDisconnect);
    if (this.types.has("join")) sb.on("join", onJoin);
    if (this.types.has("leave")) sb.on("leave", onLeave);
    this.detach = () => {
      sb.off("connect", onConnect).off("disconnect", onDisconnect).off("join", onJoin).off("leave", onLeave);
    };
    return this;
  }

  /** Queues one event; never waits. */
  push(event: WebhookEvent): void {
    if (this.closed || !this.types.has(event.type)) return;
    if (this.queue.length >= this.settings.maxQueue) {
      this.queue.shift();
      this.counters.dropped++;
    }
    this.queue.push(event);
    if (this.sending !== undefined) return;
    if (this.queue.length >= this.settings.maxBatch) this.kick();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.kick(), this.settings.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Unhealthy while the last batch failed and events wait; for /health. */
  health(): HealthStatus {
    if (this.lastFailure === undefined) return { ok: true, detail: `${this.queue.length} queued` };
    return { ok: false, detail: `webhook endpoint failing (${this.lastFailure}); ${this.queue.length} queued, ${this.counters.dropped} dropped` };
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Stops listening and sends what is queued, for at most `timeoutMs`; what is left then is dropped. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.detach?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    let deadline: NodeJS.Timeout | undefined;
    const flush = async (): Promise<void> => {
      await this.sending;
      while (this.queue.length > 0 && !this.closed) {
        this.kick();
        await this.sending;
      }
    };
    await Promise.race([flush(), new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(deadline);
    this.closed = true;
    clearTimeout(this.timer);
    this.counters.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending !== undefined || this.queue.length === 0) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      if (this.queue.length > 0 && !this.closed) {
        this.timer = setTimeout(() => this.kick(), this.queue.length >= this.settings.maxBatch ? 0 : this.settings.flushIntervalMs);
        this.timer.unref();
      }
    });
  }

  /** Sends full batches back to back; a partial remainder waits for its flush interval (see kick). */
  private async drain(): Promise<void> {
    do await this.sendBatch(this.queue.splice(0, this.settings.maxBatch));
    while (this.queue.length >= this.settings.maxBatch);
  }

  private async sendBatch(events: WebhookEvent[]): Promise<void> {
    const body: WebhookBatch = { node: events[0]!.node, events };
    const requestId = randomUUID();
    for (let attempt = 0; attempt <= this.settings.maxRetries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.settings.retryDelayMs * 2 ** (attempt - 1)));
      const outcome = await callBackend(this.options, body, { requestId });
      if (isSuccess(outcome)) {
        this.counters.sent += events.length;
        this.lastFailure = undefined;
        return;
      }
      this.counters.failedAttempts++;
      this.lastFailure = String(describeOutcome(outcome));
      this.options.logger?.warn({ attempt, outcome: this.lastFailure, events: events.length }, "webhook batch failed");
      // A 4xx other than 408/429 will not get better by retrying.
      if (outcome.kind === "response" && outcome.status >= 400 && outcome.status < 500 && outcome.status !== 408 && outcome.status !== 429) break;
    }
    this.counters.dropped += events.length;
  }
}

import type { Logger } from "../log/logger.js";
import type { PresenceMember } from "../protocol/frames.js";
import type { PusherApps } from "./pusher-apps.js";
import { channelKind, channelNameProblem } from "./pusher-channels.js";
import type { PusherWebhookEvent, ResolvedPusherApp, ResolvedPusherOptions } from "./pusher-options.js";
import { sign } from "./pusher-signatures.js";

export interface PusherWebhookPayload {
  name: PusherWebhookEvent;
  channel: string;
  [field: string]: unknown;
}

/** What the webhooks read from the node: its room events and the cluster-wide presence of a room. */
export interface WebhookSource {
  on(event: "join" | "leave", listener: (connection: { id: string; userId: string | null }, room: string) => void): unknown;
  off(event: "join" | "leave", listener: (connection: { id: string; userId: string | null }, room: string) => void): unknown;
  presence(room: string): Promise<PresenceMember[]>;
}

interface Endpoint {
  app: ResolvedPusherApp;
  url: string;
  events: ReadonlySet<PusherWebhookEvent>;
  queue: PusherWebhookPayload[];
  timer: NodeJS.Timeout | undefined;
  sending: Promise<void> | undefined;
}

const MAX_QUEUE = 10_000;
const MAX_BATCH = 100;

/**
 * Pusher webhooks: `{time_ms, events:[…]}` POSTed in batches to each endpoint of
 * an app, signed with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the
 * body with the app secret), retried with doubling delays. Occupancy and
 * membership are read from the shared presence store after each join and leave
 * on this node, so with many nodes each change is reported by the node where it
 * happened; two changes at the same instant on two nodes may both see the other
 * (one channel_occupied may then be missing), as the store is read, not locked.
 */
export class PusherWebhooks {
  readonly counters = { sent: 0, dropped: 0, failedAttempts: 0 };
  private readonly endpoints = new Map<ResolvedPusherApp, Endpoint[]>();
  private detach: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly apps: PusherApps,
    private readonly options: ResolvedPusherOptions,
    private readonly logger: Logger,
  ) {
    for (const app of apps.list) {
      if (app.webhooks.length === 0) continue;
      this.endpoints.set(
        app,
        app.webhooks.map((hook) => ({ app, url: hook.url, events: hook.events, queue: [], timer: undefined, sending: undefined })),
      );
    }
  }

  get enabled(): boolean {
    return this.endpoints.size > 0;
  }

  /** Reports channel and member changes of every connection on this node, native or Pusher. */
  attach(source: WebhookSource): void {
    if (!this.enabled) return;
    const onJoin = (connection: { id: string; userId: string | null }, room: string): void => void this.roomChanged(source, room, connection.userId, "join");
    const onLeave = (connection: { id: string; userId: string | null }, room: string): void => void this.roomChanged(source, room, connection.userId, "leave");
    source.on("join", onJoin);
    source.on("leave", onLeave);
    this.detach = () => {
      source.off("join", onJoin);
      source.off("leave", onLeave);
    };
  }

  /** Queues one event for the app's endpoints that want it; never waits. */
  emit(app: ResolvedPusherApp, payload: PusherWebhookPayload): void {
    if (this.closed) return;
    for (const endpoint of this.endpoints.get(app) ?? []) {
      if (!endpoint.events.has(payload.name)) continue;
      if (endpoint.queue.length >= MAX_QUEUE) {
        endpoint.queue.shift();
        this.counters.dropped++;
      }
      endpoint.queue.push(payload);
      if (endpoint.sending === undefined && endpoint.timer === undefined) {
        endpoint.timer = setTimeout(() => this.flush(endpoint), this.options.webhookFlushMs);
        endpoint.timer.unref();
      }
    }
  }

  /** Stops listening and sends what is queued, for at most `timeoutMs`. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.detach?.();
    const all = [...this.endpoints.values()].flat();
    const drain = Promise.all(
      all.map(async (endpoint) => {
        clearTimeout(endpoint.timer);
        endpoint.timer = undefined;
        await endpoint.sending;
        if (endpoint.queue.length > 0) await this.flush(endpoint);
      }),
    );
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([drain, new Promise<void>((resolve) => (deadline = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(deadline);
    this.closed = true;
    for (const endpoint of all) clearTimeout(endpoint.timer);
  }

  private async roomChanged(source: WebhookSource, room: string, userId: string | null, change: "join" | "leave"): Promise<void> {
    const owner = this.apps.channelOf(room);
    if (owner === undefined || !this.endpoints.has(owner.app) || channelNameProblem(owner.channel) !== undefined) return;
    const { app, channel } = owner;
    let members: PresenceMember[];
    try {
      members = await source.presence(room);
    } catch (error) {
      this.logger.warn({ err: error, room }, "pusher webhook: presence unavailable");
      return;
    }
    const connections = members.reduce((sum, member) => sum + member.connections, 0);
    const isPresence = channelKind(channel) === "presence";
    if (change === "join") {
      if (connections === 1) this.emit(app, { name: "channel_occupied", channel });
      if (isPresence && userId !== null && members.find((member) => member.userId === userId)?.connections === 1) this.emit(app, { name: "member_added", channel, user_id: userId });
    } else {
      if (isPresence && userId !== null && !members.some((member) => member.userId === userId)) this.emit(app, { name: "member_removed", channel, user_id: userId });
      if (connections === 0) this.emit(app, { name: "channel_vacated", channel });
    }
  }

  private flush(endpoint: Endpoint): Promise<void> {
    clearTimeout(endpoint.timer);
    endpoint.timer = undefined;
    if (endpoint.sending !== undefined) return endpoint.sending;
    endpoint.sending = (async () => {
      while (endpoint.queue.length > 0) await this.send(endpoint, endpoint.queue.splice(0, MAX_BATCH));
    })().finally(() => {
      endpoint.sending = undefined;
    });
    return endpoint.sending;
  }

  private async send(endpoint: Endpoint, events: PusherWebhookPayload[]): Promise<void> {
    const body = JSON.stringify({ time_ms: Date.now(), events });
    const headers = { "Content-Type": "application/json", "X-Pusher-Key": endpoint.app.key, "X-Pusher-Signature": sign(endpoint.app.secret, body) };
    for (let attempt = 0; attempt <= this.options.webhookRetries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.options.webhookRetryDelayMs * 2 ** (attempt - 1)));
      let failure: string;
      try {
        const response = await fetch(endpoint.url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.counters.sent += events.length;
          return;
        }
        failure = `HTTP ${response.status}`;
        // A 4xx other than 408/429 will not get better by retrying.
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.counters.failedAttempts++;
          this.logger.warn({ url: endpoint.url, attempt, failure, events: events.length }, "pusher webhook refused; not retried");
          break;
        }
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      this.counters.failedAttempts++;
      this.logger.warn({ url: endpoint.url, attempt, failure, events: events.length }, "pusher webhook batch failed");
    }
    this.counters.dropped += events.length;
  }
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Metric } from "prom-client";
import type { ChangeFeedMetrics } from "./change-feed-metrics.js";
import type { ErrorCode } from "../protocol/error-codes.js";
import type { RefusalReason, SwitchboardObserver } from "../protection/observer.js";
import type { Switchboard } from "../server/switchboard.js";
import { LatencyWindow } from "./latency-window.js";

/**
 * Prometheus metrics for one Switchboard node, fed by its observer hooks, in a
 * registry of their own (so two Switchboards in one process never collide),
 * with Node's default process metrics (event-loop lag included). Also keeps the
 * few in-memory aggregates /api/stats shows: recent latency percentiles,
 * disconnects by close code and refusals by reason.
 */
export class SwitchboardMetrics implements SwitchboardObserver {
  readonly registry = new Registry();
  readonly latency = new LatencyWindow();
  readonly disconnectsByCode = new Map<number, number>();
  readonly refusals = new Map<RefusalReason, number>();
  private readonly feedHooks: ChangeFeedMetrics;
  /** The switchboard_pg_feed_* metrics, kept out of the registry until a feed is wired (see `changeFeed`). */
  private readonly feedMetrics: Metric[] = [];

  private readonly connects: Counter;
  private readonly disconnects: Counter<"code">;
  private readonly framesIn: Counter;
  private readonly bytesIn: Counter;
  private readonly framesOut: Counter;
  private readonly bytesOut: Counter;
  private readonly broadcasts: Counter;
  private readonly deliveryLatency: Histogram;
  private readonly handlerDuration: Histogram<"type">;
  private readonly errors: Counter<"code">;
  private readonly refusalCounter: Counter<"reason">;
  private readonly brokerPublishes: Counter;
  private readonly brokerReceives: Counter;
  private readonly brokerErrors: Counter<"operation">;
  private readonly clusterFailures: Counter<"subscriber" | "reason">;
  private readonly deliveryFailures: Counter;

  private sb: Pick<Switchboard, "stats" | "broker" | "historyStore" | "protection"> | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "switchboard_" });
    // prom-client names three gauges with a _total suffix, which Prometheus keeps for counters
    // (promtool check metrics flags them); the same figures stay, by type, in the gauges without it.
    for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) this.registry.removeSingleMetric(`switchboard_nodejs_${name}`);
    const stats = (): ReturnType<Switchboard["stats"]> | undefined => this.sb?.stats();
    const brokerUp = (): boolean => this.sb === undefined || this.sb.broker.health().ok;
    new Gauge({ name: "switchboard_connections", help: "Open WebSocket connections on this node.", registers, collect() { this.set(stats()?.connections ?? 0); } });
    new Gauge({ name: "switchboard_users", help: "Distinct authenticated users connected to this node.", registers, collect() { this.set(stats()?.users ?? 0); } });
    new Gauge({ name: "switchboard_rooms", help: "Rooms with members on this node.", registers, collect() { this.set(stats()?.rooms ?? 0); } });
    const sbOf = () => this.sb;
    new Gauge({ name: "switchboard_history_bytes", help: "Bytes of history messages held in this process (the in-memory history store; 0 when history is in Redis).", registers, collect() { this.set(sbOf()?.historyStore.heldBytes ?? 0); } });
    new Gauge({ name: "switchboard_outbound_queued_bytes", help: "Unsent outbound bytes of all connections at the last sweep.", registers, collect() { this.set(sbOf()?.protection.slowConsumers.queuedBytes ?? 0); } });
    new Gauge({ name: "switchboard_broker_up", help: "1 while the broker is reachable.", registers, collect() { this.set(brokerUp() ? 1 : 0); } });
    this.connects = new Counter({ name: "switchboard_connects_total", help: "Accepted WebSocket connections.", registers });
    this.disconnects = new Counter({ name: "switchboard_disconnects_total", help: "Closed connections by close code.", labelNames: ["code"], registers });
    this.framesIn = new Counter({ name: "switchboard_frames_in_total", help: "Frames received from clients.", registers });
    this.bytesIn = new Counter({ name: "switchboard_bytes_in_total", help: "Bytes of frames received from clients.", registers });
    this.framesOut = new Counter({ name: "switchboard_frames_out_total", help: "Frames delivered to clients from publications and events.", registers });
    this.bytesOut = new Counter({ name: "switchboard_bytes_out_total", help: "Bytes of frames delivered to clients from publications and events.", registers });
    this.broadcasts = new Counter({ name: "switchboard_broadcasts_total", help: "Publications and events sent from this node.", registers });
    this.deliveryLatency = new Histogram({
      name: "switchboard_delivery_latency_seconds",
      help: "Time from a publication's creation (on any node) to its write to this node's sockets.",
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.handlerDuration = new Histogram({ name: "switchboard_handler_duration_seconds", help: "Time handlers took, by frame type.", labelNames: ["type"], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
    this.errors = new Counter({ name: "switchboard_errors_total", help: "Error replies by error code.", labelNames: ["code"], registers });
    this.refusalCounter = new Counter({ name: "switchboard_refusals_total", help: "Refused upgrades, frames and joins, and slow-consumer disconnects, by reason.", labelNames: ["reason"], registers });
    this.brokerPublishes = new Counter({ name: "switchboard_broker_published_total", help: "Messages published to the broker.", registers });
    this.brokerReceives = new Counter({ name: "switchboard_broker_received_total", help: "Messages received from the broker.", registers });
    this.brokerErrors = new Counter({ name: "switchboard_broker_errors_total", help: "Broker operations that failed.", labelNames: ["operation"], registers });
    this.clusterFailures = new Counter({ name: "switchboard_cluster_subscriber_failures_total", help: "Cluster subscribers that threw or dropped events because they were overloaded.", labelNames: ["subscriber", "reason"], registers });
    this.deliveryFailures = new Counter({ name: "switchboard_delivery_failures_total", help: "Frames that could not be encoded or written for one recipient (the others were served).", registers });
    const feedConnected = new Gauge({ name: "switchboard_pg_feed_connected", help: "1 while the PostgreSQL change feed is connected (as leader or standby).", registers });
    const feedNotifications = new Counter({ name: "switchboard_pg_feed_notifications_total", help: "PostgreSQL notifications received, by channel.", labelNames: ["channel"], registers });
    const feedDelivered = new Counter({ name: "switchboard_pg_feed_delivered_total", help: "Change-feed events published to rooms, by channel.", labelNames: ["channel"], registers });
    const feedDropped = new Counter({ name: "switchboard_pg_feed_dropped_total", help: "Change-feed notifications dropped, by channel and reason.", labelNames: ["channel", "reason"], registers });
    const feedSlotLag = new Gauge({ name: "switchboard_pg_feed_slot_lag_bytes", help: "Logical replication: bytes of WAL the change feed's slot holds (current WAL position minus the slot's confirmed position).", labelNames: ["slot"], registers });
    this.feedHooks = {
      connected: () => feedConnected.set(1),
      disconnected: () => feedConnected.set(0),
      notification: (channel) => feedNotifications.inc({ channel }),
      delivered: (channel) => feedDelivered.inc({ channel }),
      dropped: (channel, reason) => feedDropped.inc({ channel, reason }),
      slotLag: (slot, bytes) => feedSlotLag.set({ slot }, bytes),
    };
    // Feed metrics exist only where a feed does: a server without one shows no feed gauge stuck at 0.
    for (const { name } of this.registry.getMetricsAsArray()) {
      const metric = name.startsWith("switchboard_pg_feed_") ? this.registry.getSingleMetric(name) : undefined;
      if (metric === undefined) continue;
      this.feedMetrics.push(metric);
      this.registry.removeSingleMetric(name);
    }
  }

  /** Change-feed hooks for the PostgreSQL integration; the first use adds the switchboard_pg_feed_* metrics to the registry. */
  get changeFeed(): ChangeFeedMetrics {
    for (const metric of this.feedMetrics.splice(0)) this.registry.registerMetric(metric);
    return this.feedHooks;
  }

  /** Reads the gauges (connections, users, rooms, broker) from this Switchboard. */
  bind(sb: Pick<Switchboard, "stats" | "broker" | "historyStore" | "protection">): this {
    this.sb = sb;
    return this;
  }

  connectionOpened(): void {
    this.connects.inc();
  }

  connectionClosed(code: number): void {
    this.disconnects.inc({ code: String(code) });
    this.disconnectsByCode.set(code, (this.disconnectsByCode.get(code) ?? 0) + 1);
  }

  frameReceived(bytes: number): void {
    this.framesIn.inc();
    this.bytesIn.inc(bytes);
  }

  frameSent(count: number, bytes: number): void {
    this.framesOut.inc(count);
    this.bytesOut.inc(count * bytes);
  }

  errorReplied(code: ErrorCode): void {
    this.errors.inc({ code });
  }

  handlerFinished(type: string, durationMs: number): void {
    this.handlerDuration.observe({ type }, durationMs / 1000);
  }

  broadcastPublished(): void {
    this.broadcasts.inc();
  }

  delivered(latencyMs: number): void {
    // Clocks of different nodes can disagree by a little; a negative latency is recorded as zero.
    const latency = Math.max(0, latencyMs);
    this.deliveryLatency.observe(latency / 1000);
    this.latency.record(latency);
  }

  refused(reason: RefusalReason): void {
    this.refusalCounter.inc({ reason });
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  deliveryFailed(count: number): void {
    this.deliveryFailures.inc(count);
  }

  brokerPublished(): void {
    this.brokerPublishes.inc();
  }

  brokerReceived(): void {
    this.brokerReceives.inc();
  }

  brokerFailed(operation: string): void {
    this.brokerErrors.inc({ operation });
  }

  clusterSubscriberFailed(subscriber: string, reason: "threw" | "overloaded"): void {
    this.clusterFailures.inc({ subscriber, reason });
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

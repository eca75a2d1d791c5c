import type { Logger } from "../log/logger.js";
import type { BroadcastApi, BroadcastOperator } from "../delivery/broadcast-operator.js";

/** A value that survives JSON serialization unchanged: what a cluster event may carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a cluster subscriber receives for one event. */
export interface ClusterEvent<Payload = unknown> {
  /** The channel the event was emitted on. */
  readonly channel: string;
  /** The payload, already parsed from JSON (a copy: mutating it changes nothing elsewhere). */
  readonly payload: Payload;
  /** Id of the node that emitted the event. */
  readonly origin: string;
  /** Id of the node running this subscriber. */
  readonly node: string;
  /** True when this node emitted the event. */
  readonly local: boolean;
  /** The subscriber's name (its `name` option, or a generated one), for logs. */
  readonly subscriber: string;
  /** Broadcast to rooms, users, connections or everyone, on every node (through the broker). */
  readonly broadcast: BroadcastApi;
  /** Broadcast to this node's connections only: `local.to(room).emit(...)`, `local.toAll().emit(...)`. */
  readonly localBroadcast: BroadcastOperator;
  /** A child logger carrying the subscriber name. */
  readonly logger: Logger;
  /** Aborted when the Switchboard closes; long work and retries should stop. */
  readonly signal: AbortSignal;
}

export type ClusterHandler<Payload = unknown> = (event: ClusterEvent<Payload>) => unknown;

/** Decides from the channel and payload whether a subscriber runs. */
export type ClusterPredicate = (payload: unknown, channel: string) => boolean;

/** One way to match: an exact channel name, a RegExp tested on the channel, or a predicate. */
export type ClusterMatcher = string | RegExp | ClusterPredicate;

/**
 * Runs around one subscriber's handler. `before` returning false skips the
 * handler (and `after`); `error` returning true suppresses the error, so it is
 * neither logged nor counted as a failure.
 */
export interface ClusterMiddleware<Payload = unknown> {
  name?: string;
  before?(event: ClusterEvent<Payload>): boolean | void | Promise<boolean | void>;
  after?(event: ClusterEvent<Payload>, result: unknown): void | Promise<void>;
  error?(event: ClusterEvent<Payload>, error: unknown): boolean | void | Promise<boolean | void>;
}

/** How a subscriber matches events; the union of `channel`, `channels` and `match` (at least one). */
export interface ClusterSubscription<Payload = unknown> {
  channel?: string;
  channels?: readonly string[];
  match?: ClusterMatcher | readonly ClusterMatcher[];
  /** Higher runs first among subscribers matching the same event. Default 0; ties run in registration order. */
  priority?: number;
  /** Shown in logs and metrics. Default: the channel(s), or `subscriber-N`. */
  name?: string;
  middleware?: readonly ClusterMiddleware<Payload>[];
}

export interface ClusterOptions {
  /** Whether this node's own emits reach its own subscribers. Default true. */
  emitToSelf?: boolean;
  /**
   * Publish connection opened/closed and room joined/left events on the bus
   * (channels in `ClusterLifecycle`). Every node must enable it for a cluster-wide
   * view. Default false: each event costs a broker message.
   */
  lifecycleEvents?: boolean;
  /**
   * Events one subscriber may have in flight (async handlers not yet settled);
   * beyond it, new events for that subscriber are dropped and counted. Default 1000.
   */
  maxPending?: number;
}

/** Counters for one node's bus. */
export interface ClusterStats {
  emitted: number;
  received: number;
  /** Handler runs that completed (or whose error a middleware suppressed). */
  handled: number;
  /** Runs a middleware `before` skipped. */
  skipped: number;
  /** Runs that threw and were not suppressed: logged and reported to the observer. */
  failed: number;
  /** Events not given to a subscriber because it had `maxPending` in flight. */
  dropped: number;
}

import type { BroadcastTargets } from "../broker/broker.js";
import type { DefaultEvents, EmitArgs } from "../protocol/event-map.js";

/** Information about a connection that broadcast filters can use. */
export interface ConnectionView {
  readonly id: string;
  readonly userId: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly rooms: ReadonlySet<string>;
}

export type ConnectionFilter = (connection: ConnectionView) => boolean;

export interface PublishOptions {
  /** An event name carried in the message frame as `event`. */
  event?: string;
  /** Skip history: no offset, never replayed (typing indicators, cursors). */
  volatile?: boolean;
  /** Leave one connection out (typically the sender). */
  except?: string;
  from?: { userId: string | null; connectionId: string };
}

export interface PublishResult {
  /** Undefined for volatile publications. */
  offset: number | undefined;
  epoch: string | undefined;
}

/** What an operator's `emit` goes to: the fan-out (src/delivery/fan-out.ts). */
export interface EmitSink {
  emitToTargets(targets: BroadcastTargets, type: string, data: unknown, filter: ConnectionFilter | undefined): Promise<void>;
}

/** `Events`: the custom events `emit` may send, `type` → `data` (the EventMap's `events`). */
export interface BroadcastApi<Events = DefaultEvents> {
  /** Targets one or more rooms. */
  to(rooms: string | readonly string[]): BroadcastOperator<Events>;
  toUser(userIds: string | readonly string[]): BroadcastOperator<Events>;
  toConnection(connectionIds: string | readonly string[]): BroadcastOperator<Events>;
  toAll(): BroadcastOperator<Events>;
  /** Publishes a `message` to a room: stored in history with an offset unless volatile. */
  publish(room: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
}

function list(value: string | readonly string[]): readonly string[] {
  return typeof value === "string" ? [value] : value;
}

/**
 * An immutable description of who a broadcast reaches: each call returns a new
 * operator, so a base operator can be shared and narrowed safely.
 */
export class BroadcastOperator<Events = DefaultEvents> {
  private readonly sink: EmitSink;
  private readonly targets: BroadcastTargets;
  private readonly predicate: ConnectionFilter | undefined;

  constructor(sink: EmitSink, targets: BroadcastTargets = {}, predicate?: ConnectionFilter) {
    this.sink = sink;
    this.targets = targets;
    this.predicate = predicate;
  }

  to(rooms: string | readonly string[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.targets, rooms: [...(this.targets.rooms ?? []), ...list(rooms)] }, this.predicate);
  }

  toUser(userIds: string | readonly string[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.targets, userIds: [...(this.targets.userIds ?? []), ...list(userIds)] }, this.predicate);
  }

  toConnection(connectionIds: string | readonly string[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.targets, connectionIds: [...(this.targets.connectionIds ?? []), ...list(connectionIds)] }, this.predicate);
  }

  toAll(): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.targets, all: true }, this.predicate);
  }

  except(connectionIds: string | readonly string[]): BroadcastOperator<Events> {
    return new BroadcastOperator<Events>(this.sink, { ...this.targets, except: [...(this.targets.except ?? []), ...list(connectionIds)] }, this.predicate);
  }

  /**
   * Keeps only connections the predicate accepts. A function cannot cross nodes,
   * so a filtered broadcast reaches this node's connections only; use cluster
   * events to run the same filter on every node.
   */
  filter(predicate: ConnectionFilter): BroadcastOperator<Events> {
    const previous = this.predicate;
    const combined: ConnectionFilter = previous === undefined ? predicate : (connection) => previous(connection) && predicate(connection);
    return new BroadcastOperator<Events>(this.sink, this.targets, combined);
  }

  /** Sends `{type, room?, data, ts}` to every targeted connection once; rejects with `unavailable` when the broker is down. */
  emit(...[type, data]: EmitArgs<Events>): Promise<void> {
    return this.sink.emitToTargets(this.targets, type, data, this.predicate);
  }
}

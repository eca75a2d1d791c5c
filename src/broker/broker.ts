/**
 * The Broker carries every broadcast between Switchboard nodes. Callers never
 * deliver to sockets themselves: they publish a BrokerMessage on a topic, and
 * each node that subscribed to the topic delivers it to its local connections.
 * The in-memory broker is the reference; a Redis broker makes N nodes act as one.
 */

import type { PresenceConnection } from "../protocol/frames.js";

/** Who a targeted broadcast reaches: the union of these, each connection once. */
export interface BroadcastTargets {
  rooms?: readonly string[];
  userIds?: readonly string[];
  connectionIds?: readonly string[];
  all?: boolean;
  /** Connection ids left out of the union. */
  except?: readonly string[];
}

export type BrokerMessage =
  /** A frame for the members of one room; `offset` is set for publications kept in history. */
  | { kind: "room"; room: string; frame: string; offset?: number; except?: string; sentAt?: number }
  /** A frame for the union of targets. */
  | { kind: "targets"; targets: BroadcastTargets; frame: string; sentAt?: number }
  /** Close matching connections wherever they are. */
  | { kind: "disconnect"; userId?: string; connectionId?: string; code: number; reason: string }
  /**
   * A node's coalesced presence changes in one room (src/rooms/presence-announcer.ts);
   * each node folds them into the presence frames of its own members.
   */
  | {
      kind: "presence";
      room: string;
      changes: { joined?: PresenceConnection[]; left?: Array<{ connectionId: string; userId: string | null }>; updated?: PresenceConnection[] };
    }
  /** A server-side event for cluster subscribers (see docs/cluster-events.md). */
  | { kind: "cluster"; channel: string; payload: unknown; origin: string };

export type BrokerMessageHandler = (topic: string, message: BrokerMessage) => void;

export interface BrokerHealth {
  ok: boolean;
  detail?: string;
}

export interface Broker {
  /** A short name for logs and health, e.g. "memory" or "redis". */
  readonly name: string;
  /** Starts delivery of messages on subscribed topics to `onMessage`. */
  start(onMessage: BrokerMessageHandler): Promise<void>;
  /** Publishes to every node subscribed to `topic`, this one included. Rejects when the broker is down. */
  publish(topic: string, message: BrokerMessage): Promise<void>;
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  health(): BrokerHealth;
  close(): Promise<void>;
}

/** Topic every node subscribes to, for user, connection, all and control messages. */
export const NODES_TOPIC = "nodes";

/** Fixed for the life of the process; its getter is a call into Node each time, and preciseNow runs twice per publication. */
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Milliseconds since the epoch with sub-millisecond precision: the `sentAt` of a
 * frame-carrying message, from which every node measures delivery latency.
 */
export function preciseNow(): number {
  return TIME_ORIGIN + performance.now();
}

/** A `room` message; `except` is left out when undefined, so a message carries only what applies. */
export function roomMessage(room: string, frame: string, sentAt: number, except: string | undefined, offset?: number): Extract<BrokerMessage, { kind: "room" }> {
  const message: Extract<BrokerMessage, { kind: "room" }> = offset === undefined ? { kind: "room", room, frame, sentAt } : { kind: "room", room, frame, offset, sentAt };
  if (except !== undefined) message.except = except;
  return message;
}

export function roomTopic(room: string): string {
  return `room:${room}`;
}

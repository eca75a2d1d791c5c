import { roomMessage, roomTopic } from "../broker/broker.js";
import type { Broker } from "../broker/broker.js";
import type { RecoveryPosition } from "../protocol/frames.js";

/** How much of a room's past is kept. */
export interface HistoryPolicy {
  /** Messages kept per room; 0 keeps none (offsets still advance). */
  size: number;
  /** How long a message is kept, in ms. */
  ttlMs: number;
}

/** A message as stored: its offset and the sealed `message` frame (JSON). */
export interface StoredMessage {
  offset: number;
  frame: string;
}

export interface HistoryPage {
  messages: StoredMessage[];
  /** The room's latest offset (0 when nothing was ever published). */
  offset: number;
  epoch: string;
  /**
   * Whether `messages` holds every message after the requested position: false
   * when the epoch changed or the oldest needed message is gone.
   */
  complete: boolean;
}

/**
 * One publication to a room's stream: the message frame without its offset and
 * epoch, which the stream assigns and seals into it (see sealMessageFrame).
 */
export interface StreamPublication {
  /** `messageFrameHead(...)`: the frame up to `"offset":`. */
  head: string;
  policy: HistoryPolicy;
  /** A connection the delivery leaves out (the publisher, with `echo: false`). */
  except: string | undefined;
  /** When the publication was made (preciseNow()), carried to every node for the latency metric. */
  sentAt: number;
}

/** What a publication was given: its offset, the room's epoch and the sealed frame. */
export interface PublishedMessage {
  offset: number;
  epoch: string;
  frame: string;
}

/**
 * A stream per room: recent messages, each with a monotonic offset, and an epoch that
 * changes whenever the room's history is lost, so a client knows its offset no longer
 * applies. Publishing to a room and appending to its history are one operation.
 */
export interface HistoryStore {
  readonly name: string;
  /**
   * Appends a publication to the room's stream and sends the sealed frame, as a `room`
   * message with its offset, to every node subscribed to the room's topic through `broker`.
   * Resolves with what the publication was given; rejects when the append or the send failed.
   *
   * Atomicity, which every implementation states:
   * - Offsets of a room are assigned once each, in increasing order, and a node receives a
   *   room's messages in offset order whenever the append and the send are one step.
   * - In process memory (MemoryHistoryStore) the append and the send are one synchronous
   *   step: with the in-memory broker this node's members have the frame before `publish`
   *   returns, on the publisher's call stack.
   * - On Redis (RedisHistoryStore) with a RedisBroker on the same connections, one script
   *   assigns the offset, stores the frame and publishes it: every node sees a room's
   *   offsets in order even when several nodes publish to it at once.
   * - Otherwise (a broker the store cannot publish through itself) the store appends, then
   *   sends: offsets stay unique and increasing, but two nodes publishing at once may have
   *   their messages delivered out of offset order. A send that fails after the append
   *   leaves the message in history, so a recovery still finds it.
   */
  publish(room: string, publication: StreamPublication, broker: Broker): Promise<PublishedMessage>;
  /**
   * Optional: the room got its first member on this node (`occupied`) or lost its last
   * (`vacated`). A store held in process memory keeps a vacant room's history only
   * briefly; stores elsewhere (Redis) need not implement these.
   */
  occupied?(room: string): void;
  vacated?(room: string): void;
  /** Optional: bytes of messages this store holds in process memory (shown in /metrics). */
  readonly heldBytes?: number;
  /** The room's current position without reading messages. */
  position(room: string): Promise<RecoveryPosition>;
  /** Messages after `since` (all kept messages without it), oldest first, at most `limit`. */
  read(room: string, since: RecoveryPosition | undefined, limit: number): Promise<HistoryPage>;
  close(): Promise<void>;
}

/**
 * The send half of a publication that was appended first: the sealed frame as a `room`
 * message with its offset, on the room's topic. For stores whose append and send are not one step;
 * a store that keeps the room's topic string passes it (building it costs a concatenation and a
 * hash per publication).
 */
export function sendAppended(broker: Broker, room: string, appended: PublishedMessage, publication: StreamPublication, topic: string = roomTopic(room)): Promise<PublishedMessage> {
  return broker.publish(topic, roomMessage(room, appended.frame, publication.sentAt, publication.except, appended.offset)).then(() => appended);
}

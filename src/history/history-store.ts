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

/** What an append assigned: the offset, the room's epoch and the sealed frame. */
export interface AppendedMessage {
  offset: number;
  epoch: string;
  frame: string;
}

/** Where appendAndPublish sends the sealed frame. */
export interface AtomicPublish {
  broker: Broker;
  topic: string;
  /** A connection the publication skips. */
  except: string | undefined;
  /** When the publication was made (preciseNow()), carried to every node for latency metrics. */
  sentAt?: number;
}

/**
 * Recent messages per room, each with a monotonic offset; the room's epoch changes
 * whenever its history is lost, so a client knows its offset no longer applies.
 */
export interface HistoryStore {
  readonly name: string;
  /**
   * Assigns the next offset and stores `frameHead + offset + ',"epoch":"' + epoch + '"}'` (see
   * sealMessageFrame). Returns the offset, epoch and sealed frame.
   */
  append(room: string, frameHead: string, policy: HistoryPolicy): Promise<AppendedMessage>;
  /**
   * Optional: `append` done synchronously, for stores held in process memory.
   * The room service then publishes on the publisher's call stack, so a
   * publication costs no turn of the microtask queue before its delivery.
   */
  appendNow?(room: string, frameHead: string, policy: HistoryPolicy): AppendedMessage;
  /**
   * Optional: append and publish the sealed frame in one atomic step, so every
   * node sees a room's offsets in order even when several nodes publish to it.
   * Resolves undefined when it cannot publish through `publish.broker`; the
   * caller then publishes itself.
   */
  appendAndPublish?(room: string, frameHead: string, policy: HistoryPolicy, publish: AtomicPublish): Promise<{ offset: number; epoch: string; frame: string } | undefined>;
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

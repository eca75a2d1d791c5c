import { randomBytes } from "node:crypto";
import { roomTopic } from "../broker/broker.js";
import { sealMessageFrame } from "../protocol/message-frame.js";
import type { RecoveryPosition } from "../protocol/frames.js";
import type { Broker } from "../broker/broker.js";
import { sendAppended } from "./history-store.js";
import type { HistoryPage, HistoryPolicy, HistoryStore, PublishedMessage, StoredMessage, StreamPublication } from "./history-store.js";
import { resolveHistoryLimits } from "./history-limits.js";
import type { HistoryLimits, ResolvedHistoryLimits } from "./history-limits.js";
import { MessageLog } from "./message-log.js";

/** A room that was joined but never published to keeps its epoch this long. */
const EMPTY_STREAM_TTL_MS = 3_600_000;
/** What a kept message costs beside its frame's bytes: its offset, expiry and place in the log (MessageLog). */
const ENTRY_OVERHEAD_BYTES = 32;

interface RoomStream {
  /** The room's name as first stored. */
  room: string;
  /** The room's broker topic, built once. */
  topic: string;
  epoch: string;
  offset: number;
  /** The kept messages, off the JavaScript heap (see MessageLog). */
  messages: MessageLog;
  /** Bytes held by `messages` (frame bytes plus ENTRY_OVERHEAD_BYTES each). */
  bytes: number;
  /** When the whole stream (offset counter included) may be forgotten, unless the room has members. */
  expiresAt: number;
  /** Whether this node has members in the room (told by the room service): such a stream keeps its epoch. */
  occupied: boolean;
  /** Neighbours in the store's recency list (see MemoryHistoryStore.oldest). */
  older: RoomStream | undefined;
  newer: RoomStream | undefined;
}

export interface MemoryHistoryOptions extends HistoryLimits {
  /** How often expired messages and streams are dropped. Default 30000 ms (reads filter expired messages anyway). */
  sweepIntervalMs?: number;
}

/**
 * The reference HistoryStore: one process, with a memory budget. Per room, the
 * policy's `size` and `ttlMs` apply and at most `maxRoomBytes`; over all rooms
 * at most `maxBytes`, beyond which the oldest messages of the rooms published to
 * least recently are evicted (a recovery across them then answers
 * `recovered: false`, never a gap). A room with no member on this node keeps its
 * history `vacantRoomTtlMs` at most; one with members keeps its epoch and offset
 * while they stay, however long it is quiet.
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly name = "memory";
  readonly limits: ResolvedHistoryLimits;
  private readonly streams = new Map<string, RoomStream>();
  private readonly sweepTimer: NodeJS.Timeout;
  private bytes = 0;
  /**
   * The streams by publication recency, least recent first, as a list through the streams
   * themselves: a publication to another room than the last moves its stream with four pointer
   * writes, where moving it to the end of a Map's order cost a delete and a set (two hash lookups,
   * and a table that fills with deleted entries and rehashes). Eviction starts at the oldest.
   */
  private oldest: RoomStream | undefined;
  private newest: RoomStream | undefined;

  constructor(options: MemoryHistoryOptions | number = {}) {
    const settings = typeof options === "number" ? { sweepIntervalMs: options } : options;
    this.limits = resolveHistoryLimits(settings);
    const interval = settings.sweepIntervalMs ?? 30_000;
    // A vacant room must not outlive its TTL by a whole sweep interval.
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), Math.max(10, Math.min(interval, this.limits.vacantRoomTtlMs)));
    this.sweepTimer.unref();
  }

  /** Bytes of messages held, over all rooms (shown in /metrics). */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Appends and sends in one synchronous step (see HistoryStore.publish): the broker is
   * handed the sealed frame before anything is awaited, so the in-memory broker delivers
   * it on the publisher's call stack and one process's offsets reach it in order.
   */
  publish(room: string, publication: StreamPublication, broker: Broker): Promise<PublishedMessage> {
    const now = Date.now();
    const stream = this.streamOf(room, now);
    // The stream's topic, built when it was created.
    return sendAppended(broker, room, this.append(stream, publication.head, publication.policy, now), publication, stream.topic);
  }

  /** The synchronous append under `publish`: assigns the next offset and keeps the sealed frame (also for filling a store directly). */
  appendNow(room: string, frameHead: string, policy: HistoryPolicy): PublishedMessage {
    const now = Date.now();
    return this.append(this.streamOf(room, now), frameHead, policy, now);
  }

  private append(stream: RoomStream, frameHead: string, policy: HistoryPolicy, now: number): PublishedMessage {
    stream.offset += 1;
    const frame = sealMessageFrame(frameHead, stream.offset, stream.epoch);
    const ttlMs = stream.occupied ? policy.ttlMs : Math.min(policy.ttlMs, this.limits.vacantRoomTtlMs);
    stream.expiresAt = now + ttlMs;
    // Most recently published last: the node budget evicts from the oldest.
    if (this.newest !== stream) {
      this.unlink(stream);
      this.linkNewest(stream);
    }
    if (policy.size > 0) {
      const bytes = stream.messages.push(stream.offset, now + ttlMs, frame) + ENTRY_OVERHEAD_BYTES;
      stream.bytes += bytes;
      this.bytes += bytes;
      const over = stream.messages.length - policy.size;
      if (over > 0) this.dropOldest(stream, over);
      while (stream.bytes > this.limits.maxRoomBytes && stream.messages.length > 0) this.dropOldest(stream, 1);
      if (this.bytes > this.limits.maxBytes) this.evict();
    }
    return { offset: stream.offset, epoch: stream.epoch, frame };
  }

  async position(room: string): Promise<RecoveryPosition> {
    const stream = this.streamOf(room, Date.now());
    return { offset: stream.offset, epoch: stream.epoch };
  }

  async read(room: string, since: RecoveryPosition | undefined, limit: number): Promise<HistoryPage> {
    const now = Date.now();
    const stream = this.streamOf(room, now);
    if (since !== undefined && (since.epoch !== stream.epoch || since.offset > stream.offset)) {
      return { messages: [], offset: stream.offset, epoch: stream.epoch, complete: false };
    }
    // The unexpired messages after `since` (all of them without), by index in the log.
    const log = stream.messages;
    const after = since?.offset ?? -Infinity;
    const kept: number[] = [];
    for (let index = 0; index < log.length; index++) if (log.expiresAt(index) > now && log.offsetAt(index) > after) kept.push(index);
    const read = (indexes: number[]): StoredMessage[] => indexes.map((index) => ({ offset: log.offsetAt(index), frame: log.frameAt(index) }));
    if (since === undefined) return { messages: read(kept.slice(-limit)), offset: stream.offset, epoch: stream.epoch, complete: true };
    const firstNeeded = since.offset + 1;
    const covered = firstNeeded > stream.offset || (kept.length > 0 && log.offsetAt(kept[0]!) === firstNeeded);
    return { messages: read(kept.slice(0, limit)), offset: stream.offset, epoch: stream.epoch, complete: covered && kept.length <= limit };
  }

  /** The room has a member on this node again: it keeps its epoch while occupied. */
  occupied(room: string): void {
    this.streamOf(room, Date.now()).occupied = true;
  }

  /** The room's last member on this node left: its history is kept `vacantRoomTtlMs` at most. */
  vacated(room: string): void {
    const stream = this.streams.get(room);
    if (stream === undefined) return;
    stream.occupied = false;
    const until = Date.now() + this.limits.vacantRoomTtlMs;
    stream.expiresAt = Math.min(stream.expiresAt, until);
    stream.messages.capExpiry(until);
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.streams.clear();
    this.oldest = undefined;
    this.newest = undefined;
    this.bytes = 0;
  }

  private live(room: string, now: number): RoomStream | undefined {
    const stream = this.streams.get(room);
    if (stream !== undefined && stream.expiresAt <= now && !stream.occupied) {
      this.forget(room, stream);
      return undefined;
    }
    return stream;
  }

  /** The room's live stream, or a new one (a new epoch) when it has none. */
  private streamOf(room: string, now: number): RoomStream {
    return this.live(room, now) ?? this.create(room);
  }

  private create(room: string): RoomStream {
    const stream: RoomStream = {
      room,
      topic: roomTopic(room),
      epoch: randomBytes(6).toString("base64url"),
      offset: 0,
      messages: new MessageLog(),
      bytes: 0,
      expiresAt: Date.now() + Math.min(EMPTY_STREAM_TTL_MS, this.limits.vacantRoomTtlMs),
      occupied: false,
      older: undefined,
      newer: undefined,
    };
    this.streams.set(room, stream);
    this.linkNewest(stream);
    return stream;
  }

  private linkNewest(stream: RoomStream): void {
    stream.older = this.newest;
    stream.newer = undefined;
    if (this.newest === undefined) this.oldest = stream;
    else this.newest.newer = stream;
    this.newest = stream;
  }

  private unlink(stream: RoomStream): void {
    if (stream.older === undefined) this.oldest = stream.newer;
    else stream.older.newer = stream.newer;
    if (stream.newer === undefined) this.newest = stream.older;
    else stream.newer.older = stream.older;
    stream.older = undefined;
    stream.newer = undefined;
  }

  private forget(room: string, stream: RoomStream): void {
    this.streams.delete(room);
    this.unlink(stream);
    this.bytes -= stream.bytes;
    stream.bytes = 0;
    stream.messages.clear();
  }

  private dropOldest(stream: RoomStream, count: number): void {
    for (let dropped = 0; dropped < count; dropped++) {
      const bytes = stream.messages.dropOldest() + ENTRY_OVERHEAD_BYTES;
      stream.bytes -= bytes;
      this.bytes -= bytes;
    }
  }

  /** Over the node budget: the oldest messages of the rooms published to least recently go first. */
  private evict(): void {
    for (let stream = this.oldest; stream !== undefined; stream = stream.newer) {
      while (stream.messages.length > 0 && this.bytes > this.limits.maxBytes) this.dropOldest(stream, 1);
      if (this.bytes <= this.limits.maxBytes) return;
    }
  }

  private sweep(now: number): void {
    for (const [room, stream] of this.streams) {
      if (stream.expiresAt <= now && !stream.occupied) this.forget(room, stream);
      else if (stream.messages.length > 0 && stream.messages.expiresAt(0) <= now) {
        let expired = 0;
        while (expired < stream.messages.length && stream.messages.expiresAt(expired) <= now) expired++;
        this.dropOldest(stream, expired);
      }
    }
  }
}

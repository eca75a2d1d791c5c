import { randomBytes } from "node:crypto";
import { sealMessageFrame } from "../protocol/prepared-frame.js";
import type { RecoveryPosition } from "../protocol/frames.js";
import type { AppendedMessage, HistoryPage, HistoryPolicy, HistoryStore, StoredMessage } from "./history-store.js";

/** A room that was joined but never published to keeps its epoch this long. */
const EMPTY_STREAM_TTL_MS = 3_600_000;

interface RoomStream {
  epoch: string;
  offset: number;
  messages: Array<StoredMessage & { expiresAt: number }>;
  /** When the whole stream (offset counter included) may be forgotten. */
  expiresAt: number;
}

/**
 * The reference HistoryStore: one process. A room's stream, counter included, is
 * dropped once its last message expires, and the next publication starts a new
 * epoch, so memory is only held for rooms with recent traffic.
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly name = "memory";
  private readonly streams = new Map<string, RoomStream>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(sweepIntervalMs = 30_000) {
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async append(room: string, frameHead: string, policy: HistoryPolicy): Promise<AppendedMessage> {
    return this.appendNow(room, frameHead, policy);
  }

  appendNow(room: string, frameHead: string, policy: HistoryPolicy): AppendedMessage {
    const now = Date.now();
    const stream = this.live(room, now) ?? this.create(room);
    stream.offset += 1;
    const frame = sealMessageFrame(frameHead, stream.offset, stream.epoch);
    stream.expiresAt = now + policy.ttlMs;
    if (policy.size > 0) {
      stream.messages.push({ offset: stream.offset, frame, expiresAt: now + policy.ttlMs });
      // Usually one over the bound: shift() drops it without allocating the removed list.
      if (stream.messages.length === policy.size + 1) stream.messages.shift();
      else if (stream.messages.length > policy.size) stream.messages.splice(0, stream.messages.length - policy.size);
    }
    return { offset: stream.offset, epoch: stream.epoch, frame };
  }

  async position(room: string): Promise<RecoveryPosition> {
    const stream = this.live(room, Date.now()) ?? this.create(room);
    return { offset: stream.offset, epoch: stream.epoch };
  }

  async read(room: string, since: RecoveryPosition | undefined, limit: number): Promise<HistoryPage> {
    const now = Date.now();
    const stream = this.live(room, now) ?? this.create(room);
    const kept = stream.messages.filter((message) => message.expiresAt > now);
    if (since === undefined) {
      const messages = kept.slice(-limit).map(({ offset, frame }) => ({ offset, frame }));
      return { messages, offset: stream.offset, epoch: stream.epoch, complete: true };
    }
    if (since.epoch !== stream.epoch || since.offset > stream.offset) {
      return { messages: [], offset: stream.offset, epoch: stream.epoch, complete: false };
    }
    const missed = kept.filter((message) => message.offset > since.offset);
    const firstNeeded = since.offset + 1;
    const covered = firstNeeded > stream.offset || (missed.length > 0 && missed[0]!.offset === firstNeeded);
    const messages = missed.slice(0, limit).map(({ offset, frame }) => ({ offset, frame }));
    return { messages, offset: stream.offset, epoch: stream.epoch, complete: covered && missed.length <= limit };
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.streams.clear();
  }

  private live(room: string, now: number): RoomStream | undefined {
    const stream = this.streams.get(room);
    if (stream !== undefined && stream.expiresAt <= now) {
      this.streams.delete(room);
      return undefined;
    }
    return stream;
  }

  private create(room: string): RoomStream {
    const stream: RoomStream = { epoch: randomBytes(6).toString("base64url"), offset: 0, messages: [], expiresAt: Date.now() + EMPTY_STREAM_TTL_MS };
    this.streams.set(room, stream);
    return stream;
  }

  private sweep(now: number): void {
    for (const [room, stream] of this.streams) {
      if (stream.expiresAt <= now) this.streams.delete(room);
      else if (stream.messages.length > 0 && stream.messages[0]!.expiresAt <= now) {
        stream.messages = stream.messages.filter((message) => message.expiresAt > now);
      }
    }
  }
}

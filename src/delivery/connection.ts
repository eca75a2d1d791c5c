import type { WebSocket } from "ws";
import type { Identity } from "../auth/identity.js";
import type { ConnectionGuard } from "../protection/connection-guard.js";
import type { SlowConsumerPolicy } from "../protection/slow-consumer.js";
import type { Codec } from "../protocol/codec.js";
import type { MessageSender, ServerFrame } from "../protocol/frames.js";
import type { PreparedFrame } from "./prepared-frame.js";
import type { DeliveryFailures } from "./delivery-failures.js";
import { flushBatch, frameOnce, pingFrame, rawSocketOf, writeFrame } from "./frame-writer.js";
import type { FrameBatch, RawSocket } from "./frame-writer.js";

/**
 * Set on connections of a wire adapter (see src/wire/wire-adapter.ts): every
 * outbound frame goes through it instead of the codec, and inbound messages go to
 * it instead of the native dispatch.
 */
export interface WireEndpoint {
  deliver(frame: object): void;
  deliverPrepared(frame: PreparedFrame): void;
  receive(data: Buffer, isBinary: boolean): void;
  rateLimited(): void;
  closeCode(code: number): number;
  closed(code: number, reason: string): void;
}

/** Live messages held back while a join replays history, so replay and live never interleave. */
interface HeldBack {
  offset: number | undefined;
  frame: PreparedFrame;
}

/**
 * One client connection. Kept small on purpose: at 10,000 idle connections every
 * field costs; per-room and recovery state is allocated only when used.
 */
export class Connection {
  // The fields every delivery reads come first, in one or two cache lines of the object
  // (V8 lays fields out in declaration order): a fan-out reads them for every member in turn.
  readonly id: string;
  readonly socket: WebSocket;
  /** The TCP socket for the fast path (src/delivery/frame-writer.ts); undefined: use ws.send. */
  readonly raw: RawSocket | undefined;
  /** The frames written to `raw` in this turn and not yet handed to it (the frame writer's). */
  batch: FrameBatch | undefined = undefined;
  /** The wire adapter's side of this connection; undefined for native clients. */
  wire: WireEndpoint | undefined;
  private holding: Map<string, HeldBack[]> | undefined;
  readonly codec: Codec;
  /** Drops sends to a connection that stopped reading (and closes it with 4008). */
  slowConsumers: SlowConsumerPolicy | undefined;
  readonly ip: string;
  readonly connectedAt: number;
  identity: Identity;
  readonly rooms = new Set<string>();
  /** Set by a pong or any inbound frame; cleared when a heartbeat ping goes out. */
  alive = true;
  /** When the last heartbeat ping went out (ms since epoch); the connection's start until the first. */
  pingedAt: number;
  lastFrameAt: number;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Rate-limit and slow-consumer state (src/protection); set when the connection is accepted. */
  guard: ConnectionGuard | undefined;
  /** Where a frame this connection could not be sent is reported; set when the connection is accepted. */
  failures: DeliveryFailures | undefined;
  private publishedAs: Readonly<MessageSender> | undefined;
  private applicationState: Record<string, unknown> | undefined;

  constructor(id: string, socket: WebSocket, codec: Codec, identity: Identity, ip: string) {
    this.id = id;
    this.socket = socket;
    this.codec = codec;
    this.identity = identity;
    this.ip = ip;
    this.connectedAt = Date.now();
    this.lastFrameAt = this.connectedAt;
    this.pingedAt = this.connectedAt;
    this.raw = rawSocketOf(socket);
  }

  get userId(): string | null {
    return this.identity.userId;
  }

  get claims(): Readonly<Record<string, unknown>> {
    return this.identity.claims;
  }

  /**
   * The `from` of this connection's publications: one object while its user stays the same
   * (a token refresh may change it), so that every message frame reuses one serialization of it.
   */
  get sender(): Readonly<MessageSender> {
    const known = this.publishedAs;
    if (known !== undefined && known.userId === this.identity.userId) return known;
    return (this.publishedAs = Object.freeze({ userId: this.identity.userId, connectionId: this.id }));
  }

  /** Application state for middleware and handlers, allocated on first use. */
  get state(): Record<string, unknown> {
    return (this.applicationState ??= {});
  }

  get isOpen(): boolean {
    return this.socket.readyState === 1;
  }

  /** Bytes written to this connection in this turn and not yet handed to its socket. */
  get batchedBytes(): number {
    return this.batch?.bytes ?? 0;
  }

  /** Sends one frame object, encoded for this connection alone. */
  send(frame: ServerFrame): void {
    // Before the open check: an adapter settles its pending requests from replies even after a close.
    if (this.wire !== undefined) return this.wire.deliver(frame);
    if (this.socket.readyState !== 1) return;
    const encoded = this.codec.encode(frame);
    // On the fast path a reply joins the turn's batch, so it keeps its place among the broadcasts.
    if (this.writeOwn(encoded, this.codec.binary)) return;
    if (this.slowConsumers?.blocksSend(this) === true) return;
    this.socket.send(encoded, this.codec.binary ? BINARY : TEXT);
  }

  /** Frames bytes for this connection alone and writes them through its batch; false when ws cannot frame them. */
  private writeOwn(bytes: Buffer | string, binary: boolean): boolean {
    const raw = this.raw;
    if (raw === undefined) return false;
    const framed = frameOnce(typeof bytes === "string" ? Buffer.from(bytes) : bytes, binary);
    if (framed === undefined) return false;
    const queued = this.unsentOn(raw);
    if (this.slowConsumers?.blocksWrite(this, queued) === true) return true;
    return writeFrame(this, framed, queued);
  }

  /** What waits for `raw`, this connection's socket: its queue and this turn's batch (the slow-consumer bound's measure). */
  private unsentOn(raw: RawSocket): number {
    const batch = this.batch;
    return batch === undefined ? raw.writableLength : raw.writableLength + batch.bytes;
  }

  /** Sends a frame encoded (and, on the fast path, framed) once for all its recipients. */
  sendPrepared(frame: PreparedFrame): void {
    if (this.socket.readyState !== 1) return;
    // Never throws: callers loop over recipients, and one that cannot take a frame must not stop the rest.
    try {
      const raw = this.raw;
      if (raw !== undefined && this.wire === undefined) {
        const framed = frame.framedFor(this.codec);
        // On the fast path nothing waits in ws's sender (no compression; Switchboard sends no
        // Blobs), so the socket's queue and this turn's batch are all that is unsent: read from
        // the socket about to be written, not through ws.
        if (framed !== undefined) {
          const queued = this.unsentOn(raw);
          if (this.slowConsumers?.blocksWrite(this, queued) === true) return;
          if (writeFrame(this, framed, queued)) return;
        }
      }
      if (this.slowConsumers?.blocksSend(this) === true) return;
      if (this.wire !== undefined) return this.wire.deliverPrepared(frame);
      this.socket.send(frame.bytesFor(this.codec), this.codec.binary ? BINARY : TEXT);
    } catch (error) {
      if (this.failures === undefined) throw error;
      this.failures.record(error, this.id);
    }
  }

  /**
   * Writes bytes already encoded for the wire (a wire adapter's frames); `framed` is
   * the complete WebSocket frame when it is shared by many recipients.
   */
  writeEncoded(bytes: Buffer | string, binary: boolean, framed?: Buffer): void {
    if (this.socket.readyState !== 1) return;
    const raw = this.raw;
    if (framed !== undefined && raw !== undefined) {
      const queued = this.unsentOn(raw);
      if (this.slowConsumers?.blocksWrite(this, queued) === true) return;
      if (writeFrame(this, framed, queued)) return;
    }
    if (this.writeOwn(bytes, binary)) return;
    if (this.slowConsumers?.blocksSend(this) === true) return;
    this.socket.send(bytes, binary ? BINARY : TEXT);
  }

  /** Sends a heartbeat ping: on the fast path the shared ping frame, through this turn's batch. */
  ping(): void {
    const raw = this.raw;
    if (this.socket.readyState !== 1) return;
    if (raw === undefined || pingFrame === undefined) return this.socket.ping();
    writeFrame(this, pingFrame, this.unsentOn(raw));
  }

  /** Delivers a room frame, or holds it back while the room's history is being replayed. */
  deliverRoomFrame(room: string, frame: PreparedFrame, offset: number | undefined): void {
    const held = this.holding?.get(room);
    if (held !== undefined) held.push({ offset, frame });
    else this.sendPrepared(frame);
  }

  startHolding(room: string): void {
    (this.holding ??= new Map()).set(room, []);
  }

  /** Stops holding back a room's frames; returns what was held, for the caller to send in order. */
  stopHolding(room: string): HeldBack[] {
    const held = this.holding?.get(room) ?? [];
    this.holding?.delete(room);
    if (this.holding?.size === 0) this.holding = undefined;
    return held;
  }

  close(code: number, reason: string): void {
    if (this.wire !== undefined) code = this.wire.closeCode(code);
    if (this.socket.readyState !== 0 && this.socket.readyState !== 1) return;
    // What this connection was sent before the close goes out before the close frame.
    flushBatch(this);
    this.socket.close(code, reason);
  }
}

// Shared option objects: ws reads them but never keeps them, so one of each saves an allocation per send.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

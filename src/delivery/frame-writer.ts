import * as wsLibrary from "ws";
import type { WebSocket } from "ws";

/**
 * The fast path for every frame of a connection without an extension: a frame is
 * built once (header + payload in one buffer), and all frames bound for one socket
 * within an event-loop turn leave in one write of one buffer, shared by every socket
 * that was sent the same frames in that turn.
 *
 * Why this leaves ws's public API: `ws.send()` re-frames the payload for every
 * recipient (a header allocation and two writes each) and writes immediately,
 * so a 1,000-member room costs 1,000 frame builds and up to 2,000 syscalls per
 * publication. ws has no public "prepared frame" API, so we use two internals:
 * `Sender.frame` (exported by ws's ESM entry, builds the exact frame ws itself
 * would send) and `ws._socket` (the net.Socket under the WebSocket). Every use
 * is guarded: when either is missing, or when an extension (permessage-deflate)
 * means frames must pass through ws's Sender, callers fall back to `ws.send()`.
 * test/fast-path.test.ts decodes fast-path frames in a real ws client so a ws
 * upgrade that changes these internals fails the tests, not production.
 *
 * Why batches are written by hand rather than by corking the socket: a corked
 * Node stream costs a buffered-write record per frame and assembles a writev per
 * socket, so a room's burst of 60 publications to 1,000 members was 60,000 stream
 * writes. In a fan-out every member is sent the same frames in the same order, so
 * the frames of a turn form a few shared sequences: a connection only steps along
 * one (a compare per frame), each sequence is joined into one buffer once, and each
 * socket gets one plain write of that buffer.
 *
 * A turn is one callback of the event loop (a socket's data, a timer) and every
 * promise job it starts. The batch is written once they have all run: a write
 * scheduled from a promise job goes after the whole microtask queue (see
 * `scheduleWrite`), so a reply sent after an await leaves with the broadcasts of its
 * turn. It is not held for the loop's other ready callbacks, which would make a
 * publication wait for unrelated ones.
 *
 * The batch owns the order of data frames: every data frame for a connection on
 * this path must go through it (Connection does so for replies as well as
 * broadcasts). ws's own control frames (ping, pong) may pass a batch, which the
 * protocol allows; a close goes after the batch is flushed (Connection.close).
 */

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

type FrameFunction = (data: Buffer, options: FrameOptions) => Buffer[];

/** The TCP socket under a WebSocket: what the fast path writes to. */
export interface RawSocket {
  write(chunk: Buffer): boolean;
  /** Bytes handed to the socket and not yet to the kernel. */
  readonly writableLength: number;
}

/** What the writer needs of a connection: its raw socket, whether it is still open, and its batch for this turn. */
export interface BatchedConnection {
  readonly raw: RawSocket | undefined;
  readonly socket: { readonly readyState: number };
  /** The frames written to this connection in this turn and not yet handed to its socket. */
  batch: FrameBatch | undefined;
}

const senderFrame: FrameFunction | undefined = (() => {
  const sender = (wsLibrary as unknown as { Sender?: { frame?: unknown } }).Sender;
  return typeof sender?.frame === "function" ? (sender.frame as FrameFunction).bind(sender) : undefined;
})();

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
const OPCODE_PING = 9;
const OPEN = 1;

/** Whether this ws version exposes what the fast path needs (checked once at load). */
export const fastPathAvailable = senderFrame !== undefined;

/** One whole unmasked server frame in one buffer, so that a batch is a list of whole frames. */
function wholeFrame(payload: Buffer, opcode: number): Buffer | undefined {
  if (senderFrame === undefined) return undefined;
  const parts = senderFrame(payload, { fin: true, opcode, mask: false, readOnly: true, rsv1: false });
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** The complete unmasked server frame for `payload`, or undefined when ws cannot build it for us. */
export function frameOnce(payload: Buffer, binary: boolean): Buffer | undefined {
  return wholeFrame(payload, binary ? OPCODE_BINARY : OPCODE_TEXT);
}

/**
 * The heartbeat's ping (no payload), one buffer for every connection: the connections a
 * heartbeat slice pings in one turn share one batch, and the ping costs each socket a write only.
 */
export const pingFrame: Buffer | undefined = wholeFrame(Buffer.alloc(0), OPCODE_PING);

/**
 * The raw socket of an open WebSocket when the fast path is safe for it:
 * ws's Sender available, no extension negotiated (compression frames must go
 * through ws), and a socket with write. Undefined means "use ws.send".
 */
export function rawSocketOf(ws: WebSocket): RawSocket | undefined {
  if (senderFrame === undefined || ws.extensions !== "") return undefined;
  const raw = (ws as unknown as { _socket?: Partial<RawSocket> | null })._socket;
  if (raw === undefined || raw === null || typeof raw.write !== "function") return undefined;
  return raw as RawSocket;
}

/**
 * A sequence of frames written in this turn: a node of the turn's trie of sequences,
 * shared by every connection that was sent exactly these frames since its last write.
 */
export class FrameBatch {
  /** Bytes of the whole sequence. */
  readonly bytes: number;
  private readonly parent: FrameBatch | undefined;
  private readonly frame: Buffer | undefined;
  // The first continuation is a field, not a map entry: in a fan-out it is the only one.
  private firstFrame: Buffer | undefined;
  private firstNext: FrameBatch | undefined;
  private otherNext: Map<Buffer, FrameBatch> | undefined;
  private joined: Buffer | undefined;

  constructor(parent?: FrameBatch, frame?: Buffer) {
    this.parent = parent;
    this.frame = frame;
    this.bytes = (parent?.bytes ?? 0) + (frame?.length ?? 0);
  }

  /** This sequence followed by `frame`. */
  then(frame: Buffer): FrameBatch {
    if (this.firstFrame === frame) return this.firstNext!;
    if (this.firstNext === undefined) {
      this.firstFrame = frame;
      return (this.firstNext = new FrameBatch(this, frame));
    }
    let next = this.otherNext?.get(frame);
    if (next === undefined) (this.otherNext ??= new Map()).set(frame, (next = new FrameBatch(this, frame)));
    return next;
  }

  /** The sequence as one buffer, joined once however many sockets are written it. */
  toBuffer(): Buffer {
    if (this.parent?.frame === undefined) return this.frame!;
    if (this.joined !== undefined) return this.joined;
    const frames: Buffer[] = [];
    for (let node: FrameBatch = this; node.frame !== undefined; node = node.parent!) frames.push(node.frame);
    frames.reverse();
    return (this.joined = Buffer.concat(frames, this.bytes));
  }
}

/**
 * A batch is written early once this much waits for its socket: batching saves
 * syscalls, but bytes held back count as unsent for the slow-consumer bound, so a
 * long burst in one turn must not look like a client that stopped reading.
 */
const FLUSH_AT = 64 * 1024;

/** The empty sequence of this turn: the root of its trie. */
let turn = new FrameBatch();
/** Connections with a batch this turn (a connection written early may appear twice; its second visit finds no batch). */
let batched: BatchedConnection[] = [];

function writeBatch(connection: BatchedConnection, batch: FrameBatch): void {
  connection.batch = undefined;
  // A connection closed during the turn (by its peer, or as a slow consumer) is sent nothing more.
  if (connection.socket.readyState === OPEN) connection.raw?.write(batch.toBuffer());
}

/**
 * Node runs the tick queue, then the whole microtask queue, then ticks queued by
 * microtasks, before the next callback. A tick queued from a microtask therefore runs
 * after every promise job of the turn, the reply's included; a tick queued directly
 * would run before them.
 */
function scheduleWrite(): void {
  queueMicrotask(writeAfterPromiseJobs);
}

function writeAfterPromiseJobs(): void {
  process.nextTick(writeAll);
}

function writeAll(): void {
  const list = batched;
  batched = [];
  turn = new FrameBatch();
  for (const connection of list) {
    const batch = connection.batch;
    if (batch === undefined) continue;
    // A socket that throws must not leave the rest of the turn unwritten: their batches would
    // never be written, and the next frames would extend them. Its own error closes it.
    try {
      writeBatch(connection, batch);
    } catch {
      connection.batch = undefined;
    }
  }
}

/**
 * Adds one frame to a connection's batch for this turn, written at the turn's end
 * with everything else it is sent in this turn. `queued` is the connection's unsent
 * bytes (socket queue plus batch), read once by the caller for the slow-consumer
 * bound: this runs once per recipient. The caller has checked that the WebSocket
 * is open.
 */
export function writeFrame(connection: BatchedConnection, frame: Buffer, queued: number): boolean {
  if (connection.raw === undefined) return false;
  let batch = connection.batch;
  if (batch === undefined) {
    if (batched.length === 0) scheduleWrite();
    batched.push(connection);
    batch = turn;
  }
  const next = batch.then(frame);
  if (queued + frame.length > FLUSH_AT) writeBatch(connection, next);
  else connection.batch = next;
  return true;
}

/** Hands a connection's batch to its socket now: before a close frame, which must follow it. */
export function flushBatch(connection: BatchedConnection): void {
  const batch = connection.batch;
  if (batch !== undefined) writeBatch(connection, batch);
}

import * as wsLibrary from "ws";
import type { WebSocket } from "ws";

/**
 * The broadcast fast path: a publication is framed once (header + payload in
 * one buffer) and those same bytes are written to every recipient's TCP
 * socket, with all frames bound for one socket within an event-loop turn
 * leaving in one write (cork now, uncork on the next tick).
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
 * Writing to the socket directly keeps ws's `bufferedAmount` right (it reads the
 * socket's writable length), so the slow-consumer bound still sees these bytes.
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
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  /** Bytes queued in the socket (corked or waiting for the kernel). */
  readonly writableLength: number;
}

/** What the writer needs of a connection: its raw socket and whether it is corked this tick. */
export interface CorkableConnection {
  readonly raw: RawSocket | undefined;
  corked: boolean;
}

const senderFrame: FrameFunction | undefined = (() => {
  const sender = (wsLibrary as unknown as { Sender?: { frame?: unknown } }).Sender;
  return typeof sender?.frame === "function" ? (sender.frame as FrameFunction).bind(sender) : undefined;
})();

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;

/** Whether this ws version exposes what the fast path needs (checked once at load). */
export const fastPathAvailable = senderFrame !== undefined;

/** The complete unmasked server frame for `payload`, or undefined when ws cannot build it for us. */
export function frameOnce(payload: Buffer, binary: boolean): Buffer | undefined {
  if (senderFrame === undefined) return undefined;
  const parts = senderFrame(payload, { fin: true, opcode: binary ? OPCODE_BINARY : OPCODE_TEXT, mask: false, readOnly: true, rsv1: false });
  // One buffer per publication, so every recipient gets a single write of shared bytes.
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * The raw socket of an open WebSocket when the fast path is safe for it:
 * ws's Sender available, no extension negotiated (compression frames must go
 * through ws), and a socket with cork/uncork/write. Undefined means "use ws.send".
 */
export function rawSocketOf(ws: WebSocket): RawSocket | undefined {
  if (senderFrame === undefined || ws.extensions !== "") return undefined;
  const raw = (ws as unknown as { _socket?: Partial<RawSocket> | null })._socket;
  if (raw === undefined || raw === null || typeof raw.cork !== "function" || typeof raw.uncork !== "function" || typeof raw.write !== "function") return undefined;
  return raw as RawSocket;
}

/**
 * A corked socket is flushed early once this much waits in it: coalescing
 * saves syscalls, but bytes held back in a cork count as unsent for the
 * slow-consumer bound, so a long burst in one turn must not look like a
 * client that stopped reading.
 */
const FLUSH_AT = 64 * 1024;

let corked: CorkableConnection[] = [];

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const connection of list) {
    connection.corked = false;
    connection.raw?.uncork();
  }
}

/**
 * Writes one prepared frame to a connection's socket, corking it until the next
 * tick so that every frame it receives in this turn goes out in one writev.
 * `queued` is the socket's writableLength, read once by the caller for the
 * slow-consumer bound: this runs once per recipient, and each getter of a
 * stream's state is a call. The caller has checked that the WebSocket is open,
 * which ws keeps in step with the socket (it leaves OPEN before the socket is
 * ended or destroyed, on every path), so the socket is writable here.
 */
export function writeFrame(connection: CorkableConnection, frame: Buffer, queued: number): boolean {
  const raw = connection.raw;
  if (raw === undefined) return false;
  if (!connection.corked) {
    if (corked.length === 0) process.nextTick(uncorkAll);
    connection.corked = true;
    raw.cork();
    corked.push(connection);
  }
  raw.write(frame);
  if (queued + frame.length > FLUSH_AT) {
    raw.uncork();
    raw.cork();
  }
  return true;
}

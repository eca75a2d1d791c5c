import type { WebSocket } from "ws";
import type { ConnectionGuard } from "./connection-guard.js";
import { dropSocket } from "./drop-socket.js";

/** What the slow-consumer policy needs of a connection. */
export interface OutboundView {
  readonly id: string;
  readonly socket: WebSocket;
  /** Bytes written to the connection in this turn that its socket has not been handed yet. */
  readonly batchedBytes: number;
  guard: ConnectionGuard | undefined;
}

/**
 * Bytes accepted for a connection but not yet handed to the kernel: ws's
 * `bufferedAmount` (the socket's write queue plus frames waiting behind a
 * compression job) and the fast path's batch for this turn.
 */
export function unsentBytes(connection: OutboundView): number {
  return connection.socket.bufferedAmount + connection.batchedBytes;
}

/**
 * Closes connections that do not read: once a connection's unsent bytes exceed
 * `maxBufferedBytes`, every further send to it is dropped (so its memory stays
 * bounded and fast clients are never waited on), it is closed with 4008, and its
 * socket is destroyed `graceMs` later if the peer never takes the close frame.
 */
export class SlowConsumerPolicy {
  /** Unsent bytes of all connections at the last sweep (shown in /metrics). */
  queuedBytes = 0;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly graceMs: number,
    private readonly maxNodeBufferedBytes: number,
    private readonly onSlow: (connection: OutboundView, bytes: number) => void,
  ) {}

  get enabled(): boolean {
    return this.maxBufferedBytes > 0;
  }

  /** Called before each send; true when the send must be dropped. Cheap: one getter and a compare. */
  blocksSend(connection: OutboundView): boolean {
    const guard = connection.guard;
    if (guard === undefined || !this.enabled) return false;
    if (guard.slow) return true;
    return this.overBound(connection, guard, unsentBytes(connection));
  }

  /**
   * `blocksSend` for a write path that has just read the connection's unsent bytes from the
   * socket it writes to, and has checked that the connection is open. A slow consumer has been
   * closed (4008) and so is no longer open, which is why its flag need not be read here: in the
   * common case this touches no per-connection object, the point on a 1,000-member fan-out.
   */
  blocksWrite(connection: OutboundView, unsent: number): boolean {
    if (unsent <= this.maxBufferedBytes || !this.enabled) return false;
    const guard = connection.guard;
    if (guard === undefined) return false;
    return guard.slow || this.overBound(connection, guard, unsent);
  }

  private overBound(connection: OutboundView, guard: ConnectionGuard, bytes: number): boolean {
    if (bytes <= this.maxBufferedBytes) return false;
    this.closeSlow(connection, guard, bytes);
    return true;
  }

  /** The periodic check, for connections that stopped receiving sends while over the bound. */
  sweep(connections: Iterable<OutboundView>): void {
    let total = 0;
    const holding: Array<{ connection: OutboundView; guard: ConnectionGuard; bytes: number }> = [];
    for (const connection of connections) {
      const bytes = unsentBytes(connection);
      total += bytes;
      const guard = connection.guard;
      if (guard === undefined || guard.slow || bytes === 0) continue;
      if (this.enabled && bytes > this.maxBufferedBytes) this.closeSlow(connection, guard, bytes);
      else holding.push({ connection, guard, bytes });
    }
    this.queuedBytes = total;
    if (this.maxNodeBufferedBytes === 0 || total <= this.maxNodeBufferedBytes) return;
    // The node as a whole holds too much: the connections holding the most go first (4008, they reconnect and recover).
    holding.sort((a, b) => b.bytes - a.bytes);
    for (const { connection, guard, bytes } of holding) {
      if (total <= this.maxNodeBufferedBytes) break;
      this.closeSlow(connection, guard, bytes);
      total -= bytes;
    }
  }

  private closeSlow(connection: OutboundView, guard: ConnectionGuard, bytes: number): void {
    guard.slow = true;
    this.onSlow(connection, bytes);
    const socket = connection.socket;
    if (socket.readyState === 1) socket.close(4008, "slow consumer");
    const timer = setTimeout(() => dropSocket(socket), this.graceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }
}

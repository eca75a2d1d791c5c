import type { Connection } from "../delivery/connection.js";
import type { Hub } from "../delivery/hub.js";
import { dropSocket } from "../protection/drop-socket.js";
import type { Protection } from "../protection/protection.js";
import { CloseCode } from "../protocol/close-codes.js";

/** A heartbeat round pings a tenth of the connections every tenth of the interval. */
const HEARTBEAT_SLICES = 10;

/** setTimeout fires at once for delays above 2^31 - 1 ms; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

export interface HeartbeatDeps {
  hub: Hub;
  protection: Protection;
  heartbeatMs: number;
  /** 0 turns the idle timeout off. */
  idleTimeoutMs: number;
}

/**
 * The clocks of a node's connections: ping/pong liveness, the idle timeout, each
 * connection's token expiry and protection's periodic sweep (slow consumers, the
 * per-IP table). Every interval is unref'd so an idle node does not keep the process up.
 */
export class Heartbeat {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly deps: HeartbeatDeps) {}

  start(): void {
    const { hub, protection, heartbeatMs, idleTimeoutMs } = this.deps;
    // A round of pings is spread over the interval in slices: pinging every connection in one
    // turn held the event loop for as long as 14,000 socket writes (hundreds of milliseconds at
    // a big node), every interval, and every publication waited for it. A round pings the
    // connections open at its start, in the hub's order, so each keeps its place from round to
    // round and is pinged about one interval after the last time. The round holds the connections
    // that close during it until it ends, one interval at most.
    const sliceMs = Math.max(1, Math.floor(heartbeatMs / HEARTBEAT_SLICES));
    let round: Connection[] = [];
    let slice = 0;
    const heartbeat = setInterval(() => {
      if (slice === 0) round = Array.from(hub.connections.values());
      const from = Math.floor((round.length * slice) / HEARTBEAT_SLICES);
      const to = Math.floor((round.length * (slice + 1)) / HEARTBEAT_SLICES);
      const now = Date.now();
      for (let index = from; index < to; index++) {
        const connection = round[index]!;
        // Gone since the round began.
        if (hub.connections.get(connection.id) !== connection) continue;
        if (connection.alive) {
          connection.alive = false;
          connection.pingedAt = now;
          connection.ping();
        } else if (now - connection.pingedAt >= heartbeatMs - sliceMs) {
          // No pong (nor any frame) for an interval since its ping: the peer is gone without a close.
          dropSocket(connection.socket);
        }
        // Else its ping went out less than an interval ago (connections ahead of it left, so its
        // place came early): it keeps the rest of the interval to answer.
      }
      slice = (slice + 1) % HEARTBEAT_SLICES;
      if (slice === 0) round = [];
    }, sliceMs);
    heartbeat.unref();
    this.timers.push(heartbeat);
    this.timers.push(protection.startSweep(() => hub.connections.values()));
    if (idleTimeoutMs > 0) {
      const idle = setInterval(
        () => {
          const cutoff = Date.now() - idleTimeoutMs;
          for (const connection of hub.connections.values()) if (connection.lastFrameAt < cutoff) connection.close(CloseCode.normal, "idle timeout");
        },
        Math.max(100, Math.min(idleTimeoutMs / 4, 5_000)),
      );
      idle.unref();
      this.timers.push(idle);
    }
  }

  /** Stops the node-wide intervals (shutdown); per-connection expiry timers end with their connections. */
  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  /** (Re)arms the close at the connection's token expiry; called on accept and after each token refresh. */
  scheduleExpiry(connection: Connection): void {
    clearTimeout(connection.expiryTimer);
    connection.expiryTimer = undefined;
    const expiresAt = connection.identity.expiresAt;
    if (expiresAt === undefined) return;
    const delay = expiresAt - Date.now();
    if (delay <= 0) return connection.close(CloseCode.tokenExpired, "token expired");
    connection.expiryTimer = setTimeout(() => this.scheduleExpiry(connection), Math.min(delay, MAX_TIMER_MS));
    connection.expiryTimer.unref();
  }
}

import type { Connection } from "../delivery/connection.js";
import type { Hub } from "../delivery/hub.js";
import { dropSocket } from "../protection/drop-socket.js";
import type { Protection } from "../protection/protection.js";
import { CloseCode } from "../protocol/close-codes.js";

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
    const heartbeat = setInterval(() => {
      for (const connection of hub.connections.values()) {
        // No pong (nor any frame) since the last ping: the peer is gone without a close.
        if (!connection.alive) {
          dropSocket(connection.socket);
          continue;
        }
        connection.alive = false;
        connection.ping();
      }
    }, heartbeatMs);
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

import type { Server as HttpServer } from "node:http";
import type { Broker } from "../broker/broker.js";
import type { ClusterBus } from "../cluster/cluster-bus.js";
import type { Hub } from "../delivery/hub.js";
import type { HistoryStore } from "../history/history-store.js";
import type { Logger } from "../log/logger.js";
import type { PresenceStore } from "../presence/presence-store.js";
import type { RoomService } from "../rooms/room-service.js";
import type { ConnectionLifecycle } from "./connection-lifecycle.js";
import type { Heartbeat } from "./heartbeat.js";
import type { UpgradeHandler } from "./upgrade.js";

/** Longest wait for connection cleanups after shutdown terminated the stragglers. */
const CLEANUP_GRACE_MS = 2_000;

export interface ShutdownParts {
  heartbeat: Pick<Heartbeat, "stop">;
  upgrades: Pick<UpgradeHandler, "refuseAll">;
  hub: Hub;
  lifecycle: ConnectionLifecycle;
  cluster: Pick<ClusterBus, "close">;
  presenceStore: PresenceStore;
  rooms: RoomService;
  broker: Broker;
  historyStore: HistoryStore;
  logger: Logger;
  shutdownTimeoutMs: number;
}

/**
 * A node's shutdown, run once: stops accepting, closes every connection with the
 * code, waits (bounded) for their cleanups and listeners, then closes the cluster
 * bus, the stores and the broker in the order the last announcements need them.
 */
export class Shutdown {
  private done: Promise<void> | undefined;
  /** The server `listen()` started, closed last; unset when the app owns the HTTP server. */
  ownServer: HttpServer | undefined;

  constructor(private readonly parts: ShutdownParts) {}

  /** Every call after the first returns the first call's promise (its code and reason win). */
  run(code: number, reason: string): Promise<void> {
    this.done ??= this.shutDown(code, reason);
    return this.done;
  }

  private async shutDown(code: number, reason: string): Promise<void> {
    const parts = this.parts;
    const { hub, lifecycle, logger, shutdownTimeoutMs: timeoutMs } = parts;
    parts.heartbeat.stop();
    // From here on, upgrades in every mode are answered 503 with Retry-After.
    parts.upgrades.refuseAll();
    for (const connection of hub.connections.values()) connection.close(code, reason);
    const terminate = setTimeout(() => {
      for (const connection of hub.connections.values()) connection.socket.terminate();
    }, timeoutMs);
    // Stragglers are terminated at the deadline; their cleanups (leaves, listeners: store and broker
    // round trips) then get a fixed grace, bounded so that a process manager's kill deadline
    // (10 s for `switchboard start`, with the default 5 s handshake deadline) is kept.
    const finished = await settleWithin(lifecycle.settled(), timeoutMs + CLEANUP_GRACE_MS);
    clearTimeout(terminate);
    if (!finished) logger.warn(lifecycle.unfinished, "shutdown deadline passed with connection cleanups still running");
    parts.cluster.close();
    // The presence store first: entries it still holds are announced as leaves, which needs the broker.
    await parts.presenceStore.close().catch((error: unknown) => logger.warn({ err: error }, "closing the presence store failed"));
    // Then the coalesced announcements still pending (those leaves, and the connections just closed) go out.
    await parts.rooms.announcer.close();
    await Promise.allSettled([parts.broker.close(), parts.historyStore.close()]);
    if (this.ownServer !== undefined) {
      const server = this.ownServer;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    logger.info("switchboard closed");
  }
}

/** Resolves true when `work` settled within `ms`, false when the time ran out first. */
function settleWithin(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

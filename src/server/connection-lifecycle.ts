import type { Logger } from "../log/logger.js";
import type { RoomService } from "../rooms/room-service.js";
import type { Connection } from "../delivery/connection.js";
import type { Hub } from "../delivery/hub.js";
import type { SwitchboardObserver } from "../protection/observer.js";

export interface ConnectionLifecycleDeps {
  hub: Hub;
  rooms: RoomService;
  observer: SwitchboardObserver;
  logger: Logger;
  /** Runs the `disconnect` listeners; resolves once every promise they returned settled. */
  disconnected(connection: Connection, code: number, reason: string): Promise<void>;
}

/**
 * The end of every connection, whatever ended it (the client, a missed heartbeat,
 * `sb.disconnect()` or the server API, a slow consumer, shutdown): it leaves its
 * rooms (announced on the broker to every node), the `leave` and `disconnect`
 * listeners run, and the work they started is tracked. `settled()` tells shutdown
 * when all of it is done, so the broker and stores close only after.
 */
export class ConnectionLifecycle {
  private readonly deps: ConnectionLifecycleDeps;
  /** Cleanups of ended connections, and promises returned by lifecycle listeners, not yet settled. */
  private readonly pending = new Set<Promise<unknown>>();
  private waiters: Array<() => void> = [];

  constructor(deps: ConnectionLifecycleDeps) {
    this.deps = deps;
  }

  /** Called once per connection, from its socket's `close` event. */
  ended(connection: Connection, code: number, reason: string): void {
    const { hub, observer } = this.deps;
    hub.remove(connection);
    observer.connectionClosed?.(code);
    clearTimeout(connection.expiryTimer);
    this.track(this.cleanup(connection, code, reason));
  }

  /** Keeps a promise from a lifecycle listener (or a cleanup) in the set shutdown waits for. */
  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => this.deps.logger.error({ err: error }, "lifecycle listener failed"),
    );
    this.pending.add(settled);
    void settled.finally(() => {
      this.pending.delete(settled);
      this.wake();
    });
  }

  /** Resolves once no connection is open and every cleanup and listener promise settled. */
  async settled(): Promise<void> {
    while (!this.idle()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** How much is still running, for the shutdown log when the deadline passes first. */
  get unfinished(): { connections: number; tasks: number } {
    return { connections: this.deps.hub.connections.size, tasks: this.pending.size };
  }

  private async cleanup(connection: Connection, code: number, reason: string): Promise<void> {
    try {
      await this.deps.rooms.leaveAll(connection);
    } catch (error) {
      this.deps.logger.warn({ err: error, connection: connection.id }, "cleanup after close failed");
    }
    await this.deps.disconnected(connection, code, reason);
  }

  private idle(): boolean {
    return this.pending.size === 0 && this.deps.hub.connections.size === 0;
  }

  private wake(): void {
    if (!this.idle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

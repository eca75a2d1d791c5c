import type { Logger } from "../log/logger.js";
import type { RoomService } from "../rooms/room-service.js";
import type { Connection } from "../delivery/connection.js";
import type { Hub } from "../delivery/hub.js";
import type { SwitchboardObserver } from "../protection/observer.js";
import type { LifecycleEmitter } from "./lifecycle-events.js";
import type { PendingWork } from "./pending-work.js";

export interface ConnectionLifecycleDeps {
  hub: Hub;
  rooms: RoomService;
  observer: SwitchboardObserver;
  logger: Logger;
  /** Runs the `disconnect` listeners once the connection left its rooms. */
  events: LifecycleEmitter;
  /** Where cleanups are tracked, beside the promises of lifecycle listeners. */
  work: PendingWork;
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

  constructor(deps: ConnectionLifecycleDeps) {
    this.deps = deps;
  }

  /** Called once per connection, from its socket's `close` event. */
  ended(connection: Connection, code: number, reason: string): void {
    const { hub, observer } = this.deps;
    hub.remove(connection);
    observer.connectionClosed?.(code);
    clearTimeout(connection.expiryTimer);
    this.deps.work.track(this.cleanup(connection, code, reason));
  }

  /** Resolves once no connection is open and every cleanup and listener promise settled. */
  async settled(): Promise<void> {
    while (!this.idle()) await this.deps.work.next();
  }

  /** How much is still running, for the shutdown log when the deadline passes first. */
  get unfinished(): { connections: number; tasks: number } {
    return { connections: this.deps.hub.connections.size, tasks: this.deps.work.size };
  }

  private async cleanup(connection: Connection, code: number, reason: string): Promise<void> {
    try {
      await this.deps.rooms.leaveAll(connection);
    } catch (error) {
      this.deps.logger.warn({ err: error, connection: connection.id }, "cleanup after close failed");
    }
    await this.deps.events.emit("disconnect", connection, code, reason);
  }

  private idle(): boolean {
    return this.deps.work.size === 0 && this.deps.hub.connections.size === 0;
  }
}

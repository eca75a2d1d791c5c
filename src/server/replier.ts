import type { Connection } from "../delivery/connection.js";
import type { Logger } from "../log/logger.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { ClientFrame } from "../protocol/frames.js";
import type { ObserverList } from "./observer-list.js";
import type { LifecycleEmitter } from "./lifecycle-events.js";

/** The node's frame counters, as `stats()` reports them. */
export interface TrafficCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ReplierDeps {
  counters: TrafficCounters;
  observer: ObserverList;
  logger: Logger;
  /** `error` listeners hear of every failure that is not a SwitchboardError. */
  events: LifecycleEmitter;
}

/**
 * Answers a client's frame: the success reply, the error reply (a SwitchboardError
 * keeps its code; anything else is logged and answered as `internal`), and the log of
 * a failure that happened after the reply went out. The dispatcher, the built-in
 * commands and the wire links all answer through the one replier.
 */
export class Replier {
  constructor(private readonly deps: ReplierDeps) {}

  /** Sends `{type: "reply", ok: true}`; a frame without an id asked for no reply. */
  reply(connection: Connection, frame: ClientFrame, data: unknown): void {
    if (frame.id === undefined) return;
    this.deps.counters.framesOut++;
    connection.send({ type: "reply", id: frame.id, ok: true, data });
  }

  /** Sends the error as a reply to `id`, or as an `error` frame when the frame had no id. */
  sendError(connection: Connection, id: ClientFrame["id"], error: unknown): void {
    let body;
    if (error instanceof SwitchboardError) body = error.toBody();
    else {
      this.logError(error, connection);
      body = { code: "internal", message: "Internal error." } as const;
    }
    this.deps.observer.errorReplied(body.code);
    this.deps.counters.framesOut++;
    connection.send(id === undefined ? { type: "error", error: body } : { type: "reply", id, ok: false, error: body });
  }

  logError(error: unknown, connection: Connection | undefined): void {
    this.deps.logger.error({ err: error, connection: connection?.id }, "handler failed");
    this.deps.events.emit("error", error, connection);
  }
}

import type { BroadcastApi } from "../delivery/broadcast-operator.js";
import type { Connection } from "../delivery/connection.js";
import { assertEventType } from "../delivery/event-type.js";
import type { Protection } from "../protection/protection.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import { isFrameId, toClientFrame } from "../protocol/frames.js";
import type { ClientFrame } from "../protocol/frames.js";
import { validatePayload } from "../protocol/payload-schema.js";
import type { Admission } from "../rooms/admission.js";
import type { RoomService } from "../rooms/room-service.js";
import { joinFromServer, runBuiltInCommand } from "./commands.js";
import type { CommandHost } from "./commands.js";
import type { HandlerContext } from "./context.js";
import type { LifecycleEmitter } from "./lifecycle-events.js";
import type { ObserverList } from "./observer-list.js";
import type { Replier, TrafficCounters } from "./replier.js";
import { BUILT_IN_TYPES, runMiddleware } from "./router.js";
import type { Middleware, Router } from "./router.js";

export interface DispatcherDeps {
  node: string;
  protection: Protection;
  observer: ObserverList;
  counters: TrafficCounters;
  replier: Replier;
  events: LifecycleEmitter;
  router: Router;
  /** The Switchboard's middleware list; `use()` appends to it after construction. */
  middleware: readonly Middleware[];
  commands: CommandHost;
  rooms: RoomService;
  admission: Admission;
  /** What `ctx.broadcast` is: the Switchboard's broadcast API. */
  broadcast: BroadcastApi;
}

/**
 * The request pipeline of one inbound frame: count it, apply the frame rate, decode,
 * answer pings, check the route's rate, then run the middleware chain and the
 * built-in command or registered handler, and reply (or reply with the error).
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /** Every frame a native or wire connection receives starts here (the socket's `message` event). */
  onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    const { counters, observer, protection, replier } = this.deps;
    connection.lastFrameAt = Date.now();
    connection.alive = true;
    counters.framesIn++;
    counters.bytesIn += data.length;
    observer.frameReceived(data.length);
    const verdict = protection.admitFrame(connection);
    if (verdict !== "ok") {
      if (verdict === "limited") {
        if (connection.wire !== undefined) connection.wire.rateLimited();
        else this.replyRateLimited(connection, data, isBinary);
      }
      return;
    }
    if (connection.wire !== undefined) return connection.wire.receive(data, isBinary);
    let decoded: unknown;
    let frame: ClientFrame;
    try {
      decoded = connection.codec.decode(data, isBinary);
      frame = toClientFrame(decoded);
    } catch (error) {
      const id = typeof decoded === "object" && decoded !== null ? (decoded as { id?: unknown }).id : undefined;
      replier.sendError(connection, isFrameId(id) ? id : undefined, error);
      return;
    }
    this.dispatchSafely(connection, frame);
  }

  /** Dispatches a decoded frame (a wire adapter's translation too); a failure becomes an error reply. */
  dispatchSafely(connection: Connection, frame: ClientFrame): void {
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.dispatch(connection, frame);
    } catch (error) {
      this.deps.replier.sendError(connection, frame.id, error);
      return;
    }
    pending?.catch((error: unknown) => this.deps.replier.sendError(connection, frame.id, error));
  }

  /** Answers a frame over the rate limit without processing it; its id is read only to address the reply. */
  private replyRateLimited(connection: Connection, data: Buffer, isBinary: boolean): void {
    let id: unknown;
    try {
      const decoded = connection.codec.decode(data, isBinary);
      if (typeof decoded === "object" && decoded !== null) id = (decoded as { id?: unknown }).id;
    } catch {
      // Undecodable: answer without an id.
    }
    this.deps.replier.sendError(connection, isFrameId(id) ? id : undefined, new SwitchboardError("rate_limited", "Too many frames; this one was not processed. Slow down."));
  }

  /**
   * Throws or rejects with what is to be answered as an error. Not `async`: a built-in
   * command's promise (a publication's) is the only one made for its frame.
   */
  private dispatch(connection: Connection, frame: ClientFrame): Promise<unknown> | undefined {
    const { events, protection, middleware, commands } = this.deps;
    if (events.has("message")) events.emit("message", connection, frame);
    if (frame.type === "ping") {
      connection.send(frame.id === undefined ? { type: "pong", ts: Date.now() } : { type: "pong", id: frame.id, ts: Date.now() });
      return undefined;
    }
    protection.checkFrame(connection, frame);
    // Built-in commands reply themselves and use no handler context: none is built for them.
    if (middleware.length === 0 && BUILT_IN_TYPES.has(frame.type)) return runBuiltInCommand(commands, connection, frame);
    return this.runHandler(connection, frame);
  }

  /** The middleware chain and the handler (or built-in command) behind it, with the handler context. */
  private async runHandler(connection: Connection, frame: ClientFrame): Promise<void> {
    const { middleware, commands, replier, router, observer } = this.deps;
    let replied = false;
    const reply = (data: unknown): void => {
      if (replied) return;
      replied = true;
      replier.reply(connection, frame, data);
    };
    const ctx = this.createContext(connection, frame, reply);
    const run = async (): Promise<void> => {
      if (BUILT_IN_TYPES.has(frame.type)) {
        await runBuiltInCommand(commands, connection, frame);
        return;
      }
      const registered = router.find(frame.type, frame.action);
      if (registered === undefined) {
        throw new SwitchboardError("unknown_type", `No handler for type "${frame.type}"${frame.action === undefined ? "" : ` and action "${frame.action}"`}.`);
      }
      const data = await validatePayload(registered.schema, frame.data);
      const started = performance.now();
      try {
        reply((await registered.handler(ctx, data)) ?? null);
      } finally {
        observer.handlerFinished(registered.type, performance.now() - started);
      }
    };
    try {
      await (middleware.length === 0 ? run() : runMiddleware(middleware, ctx, run));
    } catch (error) {
      if (!replied) {
        replied = true;
        replier.sendError(connection, frame.id, error);
      } else replier.logError(error, connection);
    }
  }

  private createContext(connection: Connection, frame: ClientFrame, reply: (data: unknown) => void): HandlerContext {
    const { admission, rooms } = this.deps;
    return {
      connectionId: connection.id,
      userId: connection.userId,
      claims: connection.claims,
      node: this.deps.node,
      type: frame.type,
      action: frame.action,
      frame,
      rooms: connection.rooms,
      get state() {
        return connection.state;
      },
      join: (room, request) => joinFromServer(admission, connection, room, request),
      leave: async (room) => {
        await rooms.leave(connection, room);
      },
      reply,
      emit: (type, data) => {
        assertEventType(type);
        connection.send({ type, data, ts: Date.now() });
      },
      broadcast: this.deps.broadcast,
    };
  }
}

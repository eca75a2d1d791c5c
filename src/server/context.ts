import type { ClientFrame } from "../protocol/frames.js";
import type { DefaultEventMap, EmitArgs, EventMap, EventsOf } from "../protocol/event-map.js";
import type { BroadcastApi } from "../delivery/broadcast-operator.js";
import type { JoinResult } from "../rooms/room-service.js";

/**
 * What a handler or middleware knows about the frame it is serving and can do in reply.
 * `Map` is the server's EventMap (it types `emit` and `broadcast`); `Reply` the handler's
 * reply as the map declares it (middleware sees `unknown`).
 */
export interface HandlerContext<Map extends EventMap = DefaultEventMap, Reply = unknown> {
  readonly connectionId: string;
  /** Null for anonymous connections. */
  readonly userId: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly node: string;
  readonly type: string;
  readonly action: string | undefined;
  readonly frame: ClientFrame;
  /** Rooms this connection is in. */
  readonly rooms: ReadonlySet<string>;
  /** Per-connection storage shared by middleware and handlers for the life of the connection. */
  readonly state: Record<string, unknown>;
  /**
   * Joins the caller to a room through the same admission as a client's `join` (room
   * policy, `multipleRooms`, rooms cap, join rate). `{ authorized: true }`: this code
   * decided access itself, so the policy's `join` rule and `canJoin` are skipped; the
   * caps and the rate never are.
   */
  join(room: string, options?: { authorized?: boolean }): Promise<JoinResult>;
  leave(room: string): Promise<void>;
  /** Sends the reply now; the handler's return value is then ignored. */
  reply(data: Reply): void;
  /** Sends a custom event to the caller only. */
  emit(...args: EmitArgs<EventsOf<Map>>): void;
  /** Broadcast to rooms, users, connections or everyone. */
  readonly broadcast: BroadcastApi<EventsOf<Map>>;
}

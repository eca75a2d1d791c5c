import type { IncomingMessage } from "node:http";
import type { Identity } from "../auth/identity.js";
import type { RoomRule } from "../rooms/room-policy.js";

/**
 * A wire adapter speaks one client protocol on a path of the server and maps it
 * onto Switchboard's operations: its clients join, leave and publish to the same
 * rooms, through the same admission (room policies, hooks, rate limits), presence
 * store, broker and history as native clients. The native JSON and MessagePack
 * protocol is the reference mapping; the Pusher Channels protocol (src/pusher) is
 * an adapter, and so is the seed-004 example in examples/.
 *
 * Inbound: the adapter decodes its frames and calls `WireSession.request()` with
 * a native frame (`{type:"join",room}`, `{type:"publish",room,data}`, a handler's
 * `{type,action,data}`); the promise settles with what a native client's reply
 * would carry. Outbound: every server frame (room messages, presence events,
 * server-pushed events) reaches the adapter as the native frame object, encoded
 * once per frame for all its recipients (`encodeShared`) or per connection
 * (`WireConnection.deliver`).
 */
export interface WireAdapter {
  /** A short name for logs, e.g. "pusher". */
  readonly name: string;
  /** Whether this protocol sends binary WebSocket frames. */
  readonly binary: boolean;
  /**
   * Who the connection is, before the WebSocket handshake. Throw a WireRefusal
   * to answer the upgrade with an HTTP status instead. Default: anonymous.
   */
  authenticate?(request: IncomingMessage): Identity | Promise<Identity>;
  /** The connection id to use (a protocol may have its own id format). Default: a random id. */
  connectionId?(): string;
  /** Join rules that apply to rooms this protocol owns, on top of their room policy, for every client. */
  readonly roomGuards?: readonly RoomGuard[];
  /**
   * Encodes a native server frame once for every connection of this adapter that
   * receives it (a room publication reaching 1,000 members is encoded once).
   * "skip": no recipient of this adapter gets it; "each": each connection's
   * `deliver()` decides (per-recipient state, such as presence bookkeeping).
   */
  encodeShared(frame: NativeServerFrame): Buffer | "skip" | "each";
  /** A connection was accepted; returns its handler. Send the protocol's greeting here. */
  open(session: WireSession, request: IncomingMessage): WireConnection;
  /** The close code this protocol uses for a native one (e.g. 1001 on shutdown). Default: the same. */
  closeCode?(nativeCode: number): number;
}

/** One connection's protocol state. */
export interface WireConnection {
  /** An inbound WebSocket message that passed the frame rate limit. */
  receive(data: Buffer, isBinary: boolean): void;
  /** A message over the frame rate limit: not processed; tell the client if the protocol can. */
  rateLimited?(): void;
  /** A native frame for this connection alone, or one `encodeShared` answered "each" for. */
  deliver(frame: NativeServerFrame): void;
  /** The socket closed. Pending requests have been rejected. */
  closed?(code: number, reason: string): void;
}

/** What an adapter can do for one of its connections. */
export interface WireSession {
  readonly connectionId: string;
  readonly userId: string | null;
  readonly node: string;
  readonly rooms: ReadonlySet<string>;
  /**
   * Runs a native client frame (without an `id`) through the same dispatch as a
   * native client's: built-in commands, middleware, handlers, rate limits and
   * room admission. Resolves with the reply's `data`; rejects with a
   * SwitchboardError carrying the reply's error code.
   */
  request(frame: WireRequest): Promise<unknown>;
  /** Writes one frame of the adapter's protocol to this connection. */
  send(data: string | Buffer): void;
  close(code: number, reason: string): void;
  /**
   * Sets the connection's user after a sign-in inside the protocol: it then gets
   * user-targeted events and is closed by user disconnects, on every node.
   */
  setUser(userId: string, claims?: Record<string, unknown>): void;
}

export interface WireRequest {
  type: string;
  action?: string;
  room?: string;
  data?: unknown;
  [field: string]: unknown;
}

/**
 * A frame the server sends, as native clients receive it (see docs/protocol.md), read
 * loosely: an adapter looks at fields without narrowing on `type` first. The exact
 * shapes are `ServerFrame` in src/protocol/frames.ts.
 */
export interface NativeServerFrame {
  type: string;
  room?: string;
  event?: string;
  data?: unknown;
  [field: string]: unknown;
}

export interface RoomGuard {
  /** Room name pattern, as in room policies (`*` and `{param}`). */
  match: string;
  join: RoomRule;
}

/** Thrown by `authenticate` to refuse an upgrade with an HTTP status. */
export class WireRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "WireRefusal";
  }
}

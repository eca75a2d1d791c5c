import { SwitchboardError } from "./error-codes.js";
import type { ErrorBody } from "./error-codes.js";
import type { ReservedEventType } from "./event-map.js";

export const PROTOCOL_VERSION = 1;

export type FrameId = string | number;

/** A client frame after envelope validation: `type` is a string, `id` a string or number. */
export interface ClientFrame {
  type: string;
  id?: FrameId;
  action?: string;
  room?: string;
  data?: unknown;
  [field: string]: unknown;
}

export interface RecoveryPosition {
  offset: number;
  epoch: string;
}

export interface WelcomeData {
  connectionId: string;
  userId: string | null;
  node: string;
  heartbeatMs: number;
  protocol: number;
}

/** Who published a message: absent for publications from server code. */
export interface MessageSender {
  userId: string | null;
  connectionId: string;
}

/** The fields every `message` frame has (see messageFrameHead, which writes them in this order). */
interface MessageFrameFields<Data> {
  type: "message";
  room: string;
  /** Names a publication's kind (server-side `publish(room, data, { event })` or a client's `"event"`). */
  event?: string;
  data: Data;
  from?: MessageSender;
  ts: number;
}

/** A stored publication: it has the room's offset and epoch and can be recovered. */
export interface StoredMessageFrame<Data = unknown> extends MessageFrameFields<Data> {
  offset: number;
  /** The room's epoch: when it changes, offsets started again (the room's history was lost). */
  epoch: string;
}

/** A volatile publication (typing, cursors): never stored, so it has no offset and no epoch. */
export interface VolatileMessageFrame<Data = unknown> extends MessageFrameFields<Data> {
  offset?: undefined;
  epoch?: undefined;
}

/** A `message` frame: a publication in a joined room. `offset` and `epoch` are both present or both absent. */
export type MessageFrame<Data = unknown> = StoredMessageFrame<Data> | VolatileMessageFrame<Data>;

export interface PresenceMember {
  userId: string | null;
  connections: number;
  meta?: Record<string, unknown>;
}

/** One connection's presence in a room, as presence pages and diffs carry it. */
export interface PresenceConnection {
  connectionId: string;
  userId: string | null;
  meta?: Record<string, unknown>;
}

/**
 * The `data` of a `presence` frame: what changed in a room since the previous
 * presence frame, coalesced (at most one frame per room per member per interval).
 * A connection appears in at most one list. `count` is the room's number of present
 * connections when the frame was built. A frame with none of the lists is a count
 * update: the room is in count mode (its policy says so, or it is above the
 * policy's list limit) and members are not listed.
 */
export interface PresenceDiff {
  count: number;
  joined?: PresenceConnection[];
  /** May name a connection the client never saw join (it joined and left within the interval): nothing to remove then. */
  left?: Array<{ connectionId: string; userId: string | null }>;
  /** Present before and after, with its whole new state (meta absent: cleared); a client that does not list it (it left before that client's join reply, and rejoined) adds it. */
  updated?: PresenceConnection[];
}

export interface PresenceFrame {
  type: "presence";
  room: string;
  data: PresenceDiff;
}

/** One page of a room's presence; `cursor` is null on the last page. */
export interface PresencePage {
  count: number;
  entries: PresenceConnection[];
  cursor: string | null;
}

/**
 * The `presence` of a join reply. In list mode it carries the first page (and a
 * cursor for the rest); in count mode only the count.
 */
export interface PresenceSnapshot {
  count: number;
  mode: "list" | "count";
  entries?: PresenceConnection[];
  cursor?: string | null;
}

export interface ReplyFrame<Data = unknown> {
  type: "reply";
  id: FrameId;
  ok: boolean;
  data?: Data;
  error?: ErrorBody;
}

export interface WelcomeFrame {
  type: "welcome";
  data: WelcomeData;
}

/** Answers `ping`; carries the ping's `id` when it had one. */
export interface PongFrame {
  type: "pong";
  id?: FrameId;
  ts: number;
}

/** A bad frame that had no `id` to reply to (e.g. invalid JSON). */
export interface ErrorFrame {
  type: "error";
  error: ErrorBody;
}

/**
 * A custom event pushed by server code or the server API, e.g. `{"type":"match_found","data":…}`.
 * `room` is set when the event targeted exactly one room.
 */
export interface EventFrame<Data = unknown, Type extends string = string> {
  type: Type;
  room?: string;
  data: Data;
  ts: number;
}

/** Frame types the server itself sends; custom events may not reuse them (a record, so it lists exactly ReservedEventType). */
const RESERVED: Record<ReservedEventType, true> = { welcome: true, reply: true, message: true, presence: true, error: true, pong: true };
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(RESERVED));

/** Every frame the server sends on the Switchboard protocol. */
export type ServerFrame = WelcomeFrame | ReplyFrame | MessageFrame | PresenceFrame | PongFrame | ErrorFrame | EventFrame;

const MAX_ID_LENGTH = 64;

/**
 * Validates the envelope of a decoded client frame. Hand-written rather than a
 * schema library because it runs on every inbound frame; handler payloads are
 * validated with the handler's Standard Schema.
 */
export function toClientFrame(value: unknown): ClientFrame {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new SwitchboardError("bad_request", "A frame must be a JSON object.");
  }
  const frame = value as Record<string, unknown>;
  const id = frame.id;
  if (id !== undefined && !isFrameId(id)) {
    throw new SwitchboardError("bad_request", `"id" must be a string of at most ${MAX_ID_LENGTH} characters or a finite number.`);
  }
  if (typeof frame.type !== "string" || frame.type.length === 0 || frame.type.length > 128) {
    throw new SwitchboardError("bad_request", '"type" must be a non-empty string of at most 128 characters.');
  }
  if (frame.action !== undefined && (typeof frame.action !== "string" || frame.action.length > 128)) {
    throw new SwitchboardError("bad_request", '"action" must be a string of at most 128 characters.');
  }
  if (frame.room !== undefined && typeof frame.room !== "string") {
    throw new SwitchboardError("bad_request", '"room" must be a string.');
  }
  return frame as ClientFrame;
}

export function isFrameId(value: unknown): value is FrameId {
  return (typeof value === "string" && value.length <= MAX_ID_LENGTH) || (typeof value === "number" && Number.isFinite(value));
}

/** Reads an optional `since` field; a malformed one is a bad request rather than silently ignored. */
export function readRecoveryPosition(value: unknown): RecoveryPosition | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") throw new SwitchboardError("bad_request", '"since" must be an object {offset, epoch}.');
  const { offset, epoch } = value as Record<string, unknown>;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || typeof epoch !== "string") {
    throw new SwitchboardError("bad_request", '"since" must be {offset: non-negative integer, epoch: string}.');
  }
  return { offset, epoch };
}

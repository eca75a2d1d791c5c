import type { PresenceMember, PresencePage, PresenceSnapshot, StoredMessageFrame } from "./frames.js";

// The `data` of the replies to the built-in commands (docs/protocol.md, "Client → server").
// The server builds them and the client SDK reads them, both with these types.

export interface JoinReply {
  room: string;
  /** The room's latest offset when the join completed. */
  offset: number;
  epoch: string;
  /** Present when the join asked to recover: whether every missed message follows. */
  recovered?: boolean;
  /** Rooms with presence: the count and, in list mode, the first page of members. */
  presence?: PresenceSnapshot;
}

export interface LeaveReply {
  room: string;
}

/** `{}` for a volatile publication: it has no offset. */
export type PublishReply = { offset: number; epoch: string } | { offset?: undefined; epoch?: undefined };

/** A `history` reply (and `GET /api/rooms/{room}/history` without the room): message frames as objects. */
export interface HistoryReply<Data = unknown> {
  messages: StoredMessageFrame<Data>[];
  /** The room's latest offset (0 when nothing was ever published). */
  offset: number;
  epoch: string;
  /** Whether `messages` holds every message after the requested position. */
  complete: boolean;
}

/** A `presence` request without paging: every member, grouped by user. */
export interface PresenceMembersReply {
  members: PresenceMember[];
}

/** A `presence` request with `cursor` or `limit`. */
export type PresencePageReply = PresencePage;

/** A `presence` request with `meta`: the connection's meta as now stored (null: cleared). */
export interface PresenceMetaReply {
  room: string;
  meta: Record<string, unknown> | null;
}

/** An `auth` reply: when the fresh token expires, in seconds since the epoch (null: never). */
export interface AuthReply {
  expiresAt: number | null;
}

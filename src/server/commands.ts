import type { Identity } from "../auth/identity.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { ClientFrame } from "../protocol/frames.js";
import { readRecoveryPosition } from "../protocol/frames.js";
import { toHistoryReply } from "../history/history-reply.js";
import type { AuthReply, LeaveReply, PublishReply } from "../protocol/replies.js";
import { assertRoomName } from "../protocol/room-name.js";
import type { Admission } from "../rooms/admission.js";
import type { RoomPolicies } from "../rooms/room-policy.js";
import type { RoomService } from "../rooms/room-service.js";
import { readJoinMeta } from "../rooms/presence-meta.js";
import type { Connection } from "../delivery/connection.js";
import type { JoinRequest } from "../rooms/admission.js";
import type { JoinResult } from "../rooms/room-service.js";
import type { Heartbeat } from "./heartbeat.js";
import type { Replier } from "./replier.js";

export type { RoomAccessHook } from "../rooms/admission.js";

/** What the built-in commands need from the server. */
export interface CommandHost {
  readonly rooms: RoomService;
  /** Every join and publication goes through it, as those of handlers and server code do. */
  readonly admission: Admission;
  readonly policies: RoomPolicies;
  readonly maxRoomNameLength: number;
  /** Verifies a fresh token sent in an `auth` frame; undefined when tokens cannot be refreshed. */
  readonly refreshToken: ((token: string) => Promise<Identity>) | undefined;
  /** Re-arms the token-expiry close after a refresh. */
  readonly expiry: Pick<Heartbeat, "scheduleExpiry">;
  /** Built-ins reply themselves, so that a join can flush its replay after the reply. */
  readonly replier: Pick<Replier, "reply">;
}

/** Default and largest page for the `history` command. */
const HISTORY_DEFAULT_LIMIT = 50;
const HISTORY_MAX_LIMIT = 1000;

/** Default and largest page of the `presence` command and `GET /api/rooms/{room}/presence`. */
export const PRESENCE_DEFAULT_LIMIT = 100;
export const PRESENCE_MAX_LIMIT = 1000;

/** Validates `cursor` and `limit` of a presence page request (the command and the server API share it). */
export function readPresencePaging(cursor: unknown, limit: unknown): { cursor: string | undefined; limit: number } {
  if (cursor !== undefined && (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 64)) throw new SwitchboardError("bad_request", '"cursor" must be a cursor from a previous page.');
  const size = limit ?? PRESENCE_DEFAULT_LIMIT;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > PRESENCE_MAX_LIMIT) {
    throw new SwitchboardError("bad_request", `"limit" must be an integer from 1 to ${PRESENCE_MAX_LIMIT}.`);
  }
  return { cursor, limit: size };
}

function roomOf(host: CommandHost, frame: ClientFrame): string {
  const room = frame.room;
  assertRoomName(room, host.maxRoomNameLength);
  return room;
}

/**
 * Runs a built-in command and sends its reply. Throws (invalid frame) or rejects with the
 * error to answer. Not `async`: a publication then costs no promise of its own on the
 * way to the broker, only the one its reply waits on.
 */
export function runBuiltInCommand(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<unknown> {
  return frame.type === "publish" ? publish(host, connection, frame) : runOtherCommand(host, connection, frame);
}

async function runOtherCommand(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<void> {
  switch (frame.type) {
    case "join":
      return join(host, connection, frame);
    case "leave": {
      const room = roomOf(host, frame);
      if (!(await host.rooms.leave(connection, room))) throw new SwitchboardError("not_found", `Not a member of ${room}.`);
      return host.replier.reply(connection, frame, { room } satisfies LeaveReply);
    }
    case "presence": {
      const room = roomOf(host, frame);
      const policy = host.policies.resolve(room);
      if (!(await host.admission.mayEnter(connection, room))) throw new SwitchboardError("forbidden", `Not allowed to see presence in ${room}.`);
      if (!policy.presence) throw new SwitchboardError("not_found", `Presence is not tracked in ${room}.`);
      if (frame.meta !== undefined) return host.replier.reply(connection, frame, await host.rooms.meta.set(connection, room, frame.meta, frame.ttlMs));
      if (frame.cursor !== undefined || frame.limit !== undefined) {
        const { cursor, limit } = readPresencePaging(frame.cursor, frame.limit);
        return host.replier.reply(connection, frame, await host.rooms.presencePage(room, cursor, limit));
      }
      return host.replier.reply(connection, frame, { members: await host.rooms.members(room) });
    }
    case "history":
      return history(host, connection, frame);
    case "auth":
      return refreshAuth(host, connection, frame);
    default:
      throw new SwitchboardError("unknown_type", `Unknown type "${frame.type}".`);
  }
}

/**
 * A join decided by server code (`sb.joinConnection`, `ctx.join`): the same admission as a
 * client's `join`, with the replay flushed at once since there is no reply to send first.
 */
export async function joinFromServer(admission: Admission, connection: Connection, room: string, request: Pick<JoinRequest, "authorized"> = {}): Promise<JoinResult> {
  const pending = await admission.join(connection, room, { authorized: request.authorized === true });
  pending.flush();
  return pending.result;
}

async function join(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<void> {
  const since = readRecoveryPosition(frame.since);
  const meta = readJoinMeta(frame.meta);
  const pending = await host.admission.join(connection, frame.room ?? "", { since, meta });
  host.replier.reply(connection, frame, pending.result);
  pending.flush();
}

function publish(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<unknown> {
  // The admission checks the room name, as it does for every publication.
  const room = frame.room ?? "";
  if (frame.volatile !== undefined && typeof frame.volatile !== "boolean") throw new SwitchboardError("bad_request", '"volatile" must be a boolean.');
  if (frame.echo !== undefined && typeof frame.echo !== "boolean") throw new SwitchboardError("bad_request", '"echo" must be a boolean.');
  if (frame.event !== undefined && (typeof frame.event !== "string" || frame.event.length === 0 || frame.event.length > 200)) throw new SwitchboardError("bad_request", '"event" must be a string of 1 to 200 characters.');
  const published = host.admission.publish(room, frame.data ?? null, {
    as: connection,
    volatile: frame.volatile === true,
    except: frame.echo === false ? connection.id : undefined,
    event: frame.event,
  });
  // No id, no reply (Replier.reply would drop it): the publication's own promise is all the
  // caller needs (a rejection still becomes an error frame), with no closure or promise added.
  if (frame.id === undefined) return published;
  return published.then((result) => {
    const reply: PublishReply = result.offset === undefined || result.epoch === undefined ? {} : { offset: result.offset, epoch: result.epoch };
    host.replier.reply(connection, frame, reply);
  });
}

async function history(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<void> {
  const room = roomOf(host, frame);
  if (!(await host.admission.mayEnter(connection, room))) throw new SwitchboardError("forbidden", `Not allowed to read history of ${room}.`);
  const limit = frame.limit ?? HISTORY_DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) {
    throw new SwitchboardError("bad_request", `"limit" must be an integer from 1 to ${HISTORY_MAX_LIMIT}.`);
  }
  const page = await host.rooms.readHistory(room, readRecoveryPosition(frame.since), limit);
  host.replier.reply(connection, frame, toHistoryReply(page));
}

async function refreshAuth(host: CommandHost, connection: Connection, frame: ClientFrame): Promise<void> {
  if (host.refreshToken === undefined) throw new SwitchboardError("bad_request", "This server does not use tokens that can be refreshed.");
  if (typeof frame.token !== "string") throw new SwitchboardError("bad_request", '"token" must be a string.');
  let identity: Identity;
  try {
    identity = await host.refreshToken(frame.token);
  } catch {
    throw new SwitchboardError("unauthorized", "The token is invalid or expired.");
  }
  if (identity.userId !== connection.userId) throw new SwitchboardError("forbidden", "A refreshed token must be for the same user.");
  connection.identity = identity;
  host.expiry.scheduleExpiry(connection);
  host.replier.reply(connection, frame, { expiresAt: identity.expiresAt ?? null } satisfies AuthReply);
}

import { SwitchboardError } from "../protocol/error-codes.js";
import type { RecoveryPosition } from "../protocol/frames.js";
import type { PublishOptions, PublishResult } from "../delivery/broadcast-operator.js";
import type { Connection } from "../delivery/connection.js";
import type { RefusalReason } from "../protection/observer.js";
import { assertRoomName } from "../protocol/room-name.js";
import type { ResolvedRoomPolicy, RoomAccessSubject, RoomPolicies } from "./room-policy.js";
import { ruleAllows } from "./room-policy.js";
import type { PendingJoin, RoomService } from "./room-service.js";

export type RoomAccessHook = (subject: RoomAccessSubject, room: string) => boolean | Promise<boolean>;

export interface AdmissionDeps {
  rooms: RoomService;
  policies: RoomPolicies;
  /** False: joining a room leaves the previous one. */
  multipleRooms: boolean;
  maxRoomNameLength: number;
  /** 0: no cap. */
  maxRoomsPerConnection: number;
  /** For the refusal message only; the budget itself is the connection's guard. */
  joinsPerMinute: number;
  canJoin: RoomAccessHook | undefined;
  canPublish: RoomAccessHook | undefined;
  /** Takes one join from the connection's per-minute budget; false when it is spent. */
  takeJoin(connection: Connection): boolean;
  refused(reason: RefusalReason): void;
}

export interface JoinRequest {
  /** Recover from this position: replay what was missed, then go live. */
  since?: RecoveryPosition | undefined;
  /**
   * Server code already decided that this connection may enter the room: skip the
   * room policy's `join` rule and `canJoin`. The caps, the join rate and
   * `multipleRooms` still apply; nothing skips them.
   */
  authorized?: boolean;
  /** The member's presence meta from the start (a Pusher member's user_info). */
  meta?: Record<string, unknown> | undefined;
}

export interface PublishRequest extends PublishOptions {
  /** The connection publishing; undefined for server code, which the `publish` rule does not restrict. */
  as?: Connection | undefined;
}

/**
 * The one gate every join and publication passes, whoever asks: a client's
 * `join`/`publish` frame, a handler's `ctx.join()`, `sb.joinConnection()`, an
 * event-proxy backend, the server API or server code.
 *
 * A join's cap and rate are checked and reserved in one synchronous step before
 * anything is awaited: ws dispatches every frame of one TCP read on the same
 * tick, so a check that counted only finished joins would let a burst through.
 */
export class Admission {
  private readonly deps: AdmissionDeps;
  /** Joins reserved but not finished, per connection: they count against the rooms cap. */
  private readonly inFlight = new WeakMap<Connection, Set<string>>();
  /** With `multipleRooms: false`, one connection's joins run one after the other. */
  private readonly queues = new WeakMap<Connection, Promise<unknown>>();

  constructor(deps: AdmissionDeps) {
    this.deps = deps;
  }

  /** Admits and performs a join; the caller sends the reply, then calls `flush()` on the result. */
  join(connection: Connection, room: string, request: JoinRequest = {}): Promise<PendingJoin> {
    let release: () => void;
    try {
      assertRoomName(room, this.deps.maxRoomNameLength);
      release = this.reserve(connection, room);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = (): Promise<PendingJoin> => this.admit(connection, room, request).finally(release);
    if (this.deps.multipleRooms) return run();
    // One room at a time: two joins in flight could otherwise each leave the other's room before it exists.
    const joined = (this.queues.get(connection) ?? Promise.resolve()).then(run, run);
    this.queues.set(
      connection,
      joined.catch(() => undefined),
    );
    return joined;
  }

  /** Whether the connection may see a room it is not in (presence, history): the same rule as joining. */
  async mayEnter(connection: Connection, room: string): Promise<boolean> {
    if (connection.rooms.has(room)) return true;
    const policy = this.deps.policies.resolve(room);
    if (!(await ruleAllows(policy.join, connection, room, policy.params, false))) return false;
    // Wire adapters' guards (a Pusher channel signature) hold on top of the room's own rule.
    for (const guard of policy.guards) if (!(await ruleAllows(guard, connection, room, policy.params, false))) return false;
    return this.deps.canJoin === undefined || (await this.deps.canJoin(connection, room));
  }

  /**
   * Admits and performs a publication. From a connection: the room policy's
   * `publish` rule and `canPublish`. From server code: the room name only.
   */
  publish(room: string, data: unknown, request: PublishRequest = {}): Promise<PublishResult> {
    try {
      assertRoomName(room, this.deps.maxRoomNameLength);
    } catch (error) {
      return Promise.reject(error);
    }
    const connection = request.as;
    // Server code: the request as it is (the room service reads the publish options only).
    if (connection === undefined) return this.deps.rooms.publish(room, data, request);
    const policy = this.deps.policies.resolve(room);
    // Field by field rather than a rest and a spread: this runs for every client publication.
    const options: PublishOptions = { event: request.event, volatile: request.volatile, except: request.except, from: connection.sender };
    // Built-in rules answer synchronously; with no hook the publication then starts on this
    // call stack, so an in-memory broker delivers it before the next frame is read.
    const ruled = ruleAllows(policy.publish, connection, room, policy.params, connection.rooms.has(room));
    // The policy is resolved once: the room service takes it from here.
    if (ruled === true && this.deps.canPublish === undefined) return this.deps.rooms.publish(room, data, options, policy);
    if (ruled === false) return Promise.reject(forbiddenPublish(room));
    return this.publishChecked(connection, room, data, options, ruled, policy);
  }

  private async publishChecked(connection: Connection, room: string, data: unknown, options: PublishOptions, ruled: boolean | Promise<boolean>, policy: ResolvedRoomPolicy): Promise<PublishResult> {
    const allowed = (await ruled) && (this.deps.canPublish === undefined || (await this.deps.canPublish(connection, room)));
    if (!allowed) throw forbiddenPublish(room);
    return this.deps.rooms.publish(room, data, options, policy);
  }

  /** Checks the rooms cap and the join rate and reserves both; returns the release of the reservation. */
  private reserve(connection: Connection, room: string): () => void {
    let pending = this.inFlight.get(connection);
    // Already in the room, or already on the way in: no further room is taken, nothing is charged.
    if (connection.rooms.has(room) || pending?.has(room) === true) return noop;
    const cap = this.deps.maxRoomsPerConnection;
    // With multipleRooms false a join replaces the room the connection is in, so the cap cannot be reached.
    if (cap > 0 && this.deps.multipleRooms && connection.rooms.size + countOutside(pending, connection.rooms) >= cap) {
      this.deps.refused("room_cap");
      throw new SwitchboardError("conflict", `A connection may be in at most ${cap} rooms; leave one first.`);
    }
    if (!this.deps.takeJoin(connection)) {
      this.deps.refused("join_rate");
      throw new SwitchboardError("rate_limited", `At most ${this.deps.joinsPerMinute} joins per minute.`);
    }
    if (pending === undefined) this.inFlight.set(connection, (pending = new Set()));
    pending.add(room);
    const reserved = pending;
    return () => {
      reserved.delete(room);
      if (reserved.size === 0 && this.inFlight.get(connection) === reserved) this.inFlight.delete(connection);
    };
  }

  private async admit(connection: Connection, room: string, request: JoinRequest): Promise<PendingJoin> {
    if (request.authorized !== true && !(await this.mayEnter(connection, room))) throw new SwitchboardError("forbidden", `Not allowed to join ${room}.`);
    if (!this.deps.multipleRooms) {
      for (const other of [...connection.rooms]) if (other !== room) await this.deps.rooms.leave(connection, other);
    }
    return this.deps.rooms.join(connection, room, request.since, request.meta);
  }
}

/** Reserved rooms the connection has not entered yet (a join adds the room to `rooms` partway through). */
function countOutside(pending: ReadonlySet<string> | undefined, rooms: ReadonlySet<string>): number {
  if (pending === undefined) return 0;
  let count = 0;
  for (const room of pending) if (!rooms.has(room)) count++;
  return count;
}

function forbiddenPublish(room: string): SwitchboardError {
  return new SwitchboardError("forbidden", `Not allowed to publish to ${room}.`);
}

function noop(): void {}

import type { Identity } from "../auth/identity.js";
import type { BroadcastTargets } from "../broker/broker.js";
import type { PreparedFrame } from "./prepared-frame.js";
import type { Connection } from "./connection.js";

/**
 * This node's connections, indexed by id, user and room, and the delivery of
 * prepared frames to them (the fan-out decides what is delivered). Rooms are
 * reference counted so that the node asks the broker for a room's traffic only
 * while it has members there.
 */
export class Hub {
  readonly connections = new Map<string, Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly byRoom = new Map<string, Set<Connection>>();

  add(connection: Connection): void {
    this.connections.set(connection.id, connection);
    const userId = connection.userId;
    if (userId !== null) {
      let set = this.byUser.get(userId);
      if (set === undefined) this.byUser.set(userId, (set = new Set()));
      set.add(connection);
    }
  }

  remove(connection: Connection): void {
    this.connections.delete(connection.id);
    const userId = connection.userId;
    if (userId !== null) {
      const set = this.byUser.get(userId);
      set?.delete(connection);
      if (set?.size === 0) this.byUser.delete(userId);
    }
  }

  /** Gives a connection a new identity (a sign-in inside a wire protocol), re-indexed under its user. */
  setIdentity(connection: Connection, identity: Identity): void {
    this.remove(connection);
    connection.identity = identity;
    this.add(connection);
  }

  /** Adds a member; returns true when it is the room's first local member. */
  joinRoom(connection: Connection, room: string): boolean {
    connection.rooms.add(room);
    let members = this.byRoom.get(room);
    const first = members === undefined;
    if (members === undefined) this.byRoom.set(room, (members = new Set()));
    members.add(connection);
    return first;
  }

  /** Removes a member; returns true when the room has no local members left. */
  leaveRoom(connection: Connection, room: string): boolean {
    connection.rooms.delete(room);
    const members = this.byRoom.get(room);
    if (members === undefined) return false;
    members.delete(connection);
    if (members.size > 0) return false;
    this.byRoom.delete(room);
    return true;
  }

  roomMembers(room: string): ReadonlySet<Connection> | undefined {
    return this.byRoom.get(room);
  }

  userConnections(userId: string): ReadonlySet<Connection> | undefined {
    return this.byUser.get(userId);
  }

  get roomCount(): number {
    return this.byRoom.size;
  }

  get userCount(): number {
    return this.byUser.size;
  }

  localRooms(): IterableIterator<[string, Set<Connection>]> {
    return this.byRoom.entries();
  }

  /**
   * Delivers a room frame to the room's local members (held back for members replaying
   * history); returns how many it reached.
   */
  deliverToRoom(room: string, frame: PreparedFrame, offset: number | undefined, except: string | undefined, filter?: (connection: Connection) => boolean): number {
    const members = this.byRoom.get(room);
    if (members === undefined) return 0;
    let delivered = 0;
    for (const connection of members) {
      if (connection.id === except || (filter !== undefined && !filter(connection))) continue;
      connection.deliverRoomFrame(room, frame, offset);
      delivered++;
    }
    return delivered;
  }

  /** Delivers a frame to the union of targets, each connection once; returns how many it reached. */
  deliverToTargets(targets: BroadcastTargets, frame: PreparedFrame, filter?: (connection: Connection) => boolean): number {
    let delivered = 0;
    for (const connection of this.resolveTargets(targets)) {
      if (filter !== undefined && !filter(connection)) continue;
      connection.sendPrepared(frame);
      delivered++;
    }
    return delivered;
  }

  /** The local connections a target union reaches, each once. */
  resolveTargets(targets: BroadcastTargets): Set<Connection> {
    const reached = new Set<Connection>();
    if (targets.all === true) for (const connection of this.connections.values()) reached.add(connection);
    else {
      for (const room of targets.rooms ?? []) for (const connection of this.byRoom.get(room) ?? []) reached.add(connection);
      for (const userId of targets.userIds ?? []) for (const connection of this.byUser.get(userId) ?? []) reached.add(connection);
      for (const id of targets.connectionIds ?? []) {
        const connection = this.connections.get(id);
        if (connection !== undefined) reached.add(connection);
      }
    }
    for (const id of targets.except ?? []) {
      const connection = this.connections.get(id);
      if (connection !== undefined) reached.delete(connection);
    }
    return reached;
  }
}

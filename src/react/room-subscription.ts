// Framework-neutral room state for UI code: what the `useRoom` hook (use-room.ts) renders.
import type { Room } from "../client/room.js";
import type { ConnectionState, PresenceMember, StateInfo } from "../client/types.js";
import { holdRoom, isHeld, releaseRoom } from "./room-holds.js";

export interface RoomSnapshot<Message> {
  status: "joining" | "joined" | "error";
  /** The last `keep` messages, oldest first. */
  messages: Message[];
  connection: ConnectionState;
  /** Who is in the room (rooms with presence; empty until joined). */
  members: PresenceMember[];
  room?: Room<Message>;
  error?: Error;
}

export interface RoomSubscriptionOptions {
  /** How many messages to keep (default 100). */
  keep?: number;
}

/** What the hooks use of a client: any `connect()` result fits, whatever its event and request maps. */
export interface AnyClient {
  readonly state: ConnectionState;
  on(event: "state", listener: (state: ConnectionState, info: StateInfo) => void): () => void;
  join<Message = unknown>(name: string): Promise<Room<Message>>;
  room<Message = unknown>(name: string): Room<Message> | undefined;
}

/**
 * Joins `name`, keeps the last `keep` messages and the member list, reloads from
 * history when a reconnect could not recover the gap, and reports every change.
 * Returns the cleanup: it stops the reports and leaves the room unless another
 * subscription of the same client still uses it.
 */
export function subscribeRoom<Message>(client: AnyClient, name: string, onChange: (snapshot: RoomSnapshot<Message>) => void, options: RoomSubscriptionOptions = {}): () => void {
  const keep = options.keep ?? 100;
  let snapshot: RoomSnapshot<Message> = { status: "joining", messages: [], connection: client.state, members: [] };
  let active = true;
  const update = (change: Partial<RoomSnapshot<Message>>): void => {
    if (!active) return;
    snapshot = { ...snapshot, ...change };
    onChange(snapshot);
  };
  const fail = (error: Error): void => update({ status: "error", error });
  const offs = [client.on("state", (connection) => update({ connection }))];
  holdRoom(client, name);

  // The member list is read from the server after each presence frame, one read at a time,
  // so it is always the server's list (across nodes) rather than one rebuilt from events.
  let reading = false;
  let readAgain = false;
  const readMembers = (joined: Room<Message>): void => {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    joined.presence().then(
      (members) => update({ members }),
      // A read that fails (disconnected meanwhile) is retried by the rejoin's events.
      () => undefined,
    ).finally(() => {
      reading = false;
      if (readAgain && active) {
        readAgain = false;
        readMembers(joined);
      }
    });
  };

  client.join<Message>(name).then(
    (joined) => {
      // Cleaned up while joining: the cleanup could not leave yet, so leave here.
      if (!active) return void (isHeld(client, name) ? undefined : joined.leave().catch(() => undefined));
      offs.push(
        joined.on("message", (message) => update({ messages: [...snapshot.messages, message].slice(-keep) })),
        // After every presence frame applied to the SDK's list, even one with no event (a leave of a
        // connection the SDK never listed, which a read of this hook may have); per event while it has no list.
        joined.on("members", ({ members }) => {
          if (members !== undefined) readMembers(joined);
        }),
        joined.on("presence", () => {
          if (joined.members === undefined) readMembers(joined);
        }),
        joined.on("recovered", () => readMembers(joined)),
        joined.on("reset", () => {
          joined.history({ limit: keep }).then((page) => update({ messages: page.messages.map((frame) => frame.data) }), fail);
          readMembers(joined);
        }),
        joined.on("error", fail),
      );
      update({ status: "joined", room: joined, members: joined.initialPresence ?? [] });
    },
    fail,
  );
  return () => {
    if (!active) return;
    active = false;
    for (const off of offs) off();
    if (releaseRoom(client, name)) void client.room(name)?.leave().catch(() => undefined);
  };
}

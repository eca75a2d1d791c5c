// Framework-neutral room state for UI code: what the `useRoom` hook (use-room.ts) renders.
import type { Room } from "../client/room.js";
import type { ConnectionState, PresenceMember, StateInfo } from "../client/types.js";
import { holdRoom, isHeld, releaseRoom } from "./room-holds.js";

export interface RoomSnapshot<Message> {
  status: "joining" | "joined" | "error";
  /** The last `keep` messages, oldest first. */
  messages: Message[];
  connection: ConnectionState;
  /**
   * Who is in the room, grouped by user: the client SDK's list, kept exact by the
   * server's presence diffs (empty until joined, in rooms without presence, and in
   * count mode).
   */
  members: PresenceMember[];
  /** How many connections are present (exact with a list, the server's count in count mode); undefined without presence. */
  presenceCount?: number;
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
 * Joins `name`, keeps the last `keep` messages and the member list (the SDK's, never
 * read again from the server), reloads from
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

  // The SDK keeps the member list exact from the join reply and the server's coalesced diffs
  // (or only the count, in count mode); the hook renders that, asking the server nothing.
  // While the SDK fetches the rest of a list (a rejoin of a big room), the last list stays shown.
  const presenceOf = (joined: Room<Message>, members = joined.members): Pick<RoomSnapshot<Message>, "members" | "presenceCount"> => ({
    members: members ?? (joined.presenceMode === "list" ? snapshot.members : []),
    presenceCount: joined.presenceCount,
  });

  client.join<Message>(name).then(
    (joined) => {
      // Cleaned up while joining: the cleanup could not leave yet, so leave here.
      if (!active) return void (isHeld(client, name) ? undefined : joined.leave().catch(() => undefined));
      offs.push(
        joined.on("message", (message) => update({ messages: [...snapshot.messages, message].slice(-keep) })),
        joined.on("members", ({ members }) => update(presenceOf(joined, members))),
        // A rejoin's reply may have no presence any more, which fires no `members`.
        joined.on("recovered", () => update(presenceOf(joined))),
        joined.on("reset", () => {
          joined.history({ limit: keep }).then((page) => update({ messages: page.messages.map((frame) => frame.data) }), fail);
          update(presenceOf(joined));
        }),
        joined.on("error", fail),
      );
      update({ status: "joined", room: joined, ...presenceOf(joined) });
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

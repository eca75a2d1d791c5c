// Framework-neutral room state for UI code: what the `useRoom` React hook (react-use-room.tsx) renders.
import type { ConnectionState, Room, SwitchboardClient } from "switchboard/client";

export interface RoomSnapshot<Message> {
  status: "joining" | "joined" | "error";
  /** The last `keep` messages, oldest first. */
  messages: Message[];
  connection: ConnectionState;
  room?: Room<Message>;
  error?: Error;
}

/**
 * Joins `name`, keeps the last `keep` messages, reloads from history when a
 * reconnect could not recover the gap, and reports every change. Returns the
 * cleanup (leaves the room).
 */
export function subscribeRoom<Message>(
  client: SwitchboardClient<object, object>,
  name: string,
  onChange: (snapshot: RoomSnapshot<Message>) => void,
  keep = 100,
): () => void {
  let snapshot: RoomSnapshot<Message> = { status: "joining", messages: [], connection: client.state };
  let active = true;
  const update = (change: Partial<RoomSnapshot<Message>>): void => {
    if (!active) return;
    snapshot = { ...snapshot, ...change };
    onChange(snapshot);
  };
  const offState = client.on("state", (connection) => update({ connection }));
  let room: Room<Message> | undefined;
  client.join<Message>(name).then(
    async (joined) => {
      room = joined;
      if (!active) return void joined.leave();
      joined.on("message", (message) => update({ messages: [...snapshot.messages, message].slice(-keep) }));
      const reload = async (): Promise<void> => {
        const page = await joined.history({ limit: keep });
        update({ messages: page.messages.map((frame) => frame.data) });
      };
      joined.on("reset", () => void reload().catch((error: Error) => update({ status: "error", error })));
      joined.on("error", (error) => update({ status: "error", error }));
      update({ status: "joined", room: joined });
    },
    (error: Error) => update({ status: "error", error }),
  );
  return () => {
    active = false;
    offState();
    void room?.leave().catch(() => undefined);
  };
}

import { useEffect, useState } from "react";
import type { ConnectionState } from "../client/types.js";
import { subscribeRoom } from "./room-subscription.js";
import type { AnyClient, RoomSnapshot, RoomSubscriptionOptions } from "./room-subscription.js";

/**
 * Joins `name` on mount, leaves on unmount or when the name changes, and
 * re-renders with the latest messages, member list and connection state.
 */
export function useRoom<Message = unknown>(client: AnyClient, name: string, options: RoomSubscriptionOptions = {}): RoomSnapshot<Message> {
  const keep = options.keep ?? 100;
  // Each snapshot is kept with the room and client it is of: the render after the name changes
  // comes before the effect that subscribes to the new room, and must not show the previous
  // room's messages and status under the new name.
  const [current, setCurrent] = useState<{ client: AnyClient; name: string; snapshot: RoomSnapshot<Message> }>(() => ({ client, name, snapshot: joining(client) }));
  useEffect(() => {
    const report = (snapshot: RoomSnapshot<Message>): void => setCurrent({ client, name, snapshot });
    report(joining(client));
    return subscribeRoom<Message>(client, name, report, { keep });
  }, [client, name, keep]);
  return current.client === client && current.name === name ? current.snapshot : joining(client);
}

/** Where every room starts: joining, no messages, nobody listed. */
function joining<Message>(client: AnyClient): RoomSnapshot<Message> {
  return { status: "joining", messages: [], connection: client.state, members: [] };
}

/** The client's connection state ("connecting", "connected", "reconnecting", "closed"), kept current. */
export function useConnectionState(client: Pick<AnyClient, "state" | "on">): ConnectionState {
  const [state, setState] = useState<ConnectionState>(client.state);
  useEffect(() => {
    setState(client.state);
    return client.on("state", (next) => setState(next));
  }, [client]);
  return state;
}

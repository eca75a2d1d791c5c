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
  const [snapshot, setSnapshot] = useState<RoomSnapshot<Message>>(() => ({ status: "joining", messages: [], connection: client.state, members: [] }));
  useEffect(() => {
    // A new room (or client) starts from "joining", not from the previous room's messages.
    setSnapshot({ status: "joining", messages: [], connection: client.state, members: [] });
    return subscribeRoom<Message>(client, name, setSnapshot, { keep });
  }, [client, name, keep]);
  return snapshot;
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

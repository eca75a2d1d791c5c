// A React hook over the Switchboard client. In your app:
//
//   const sb = connect("/ws", { token: () => fetch("/api/token").then((r) => r.text()) });
//   function Chat() {
//     const { messages, connection } = useRoom<{ text: string }>(sb, "chat:general");
//     return <ul data-connection={connection}>{messages.map((m, i) => <li key={i}>{m.text}</li>)}</ul>;
//   }
//
// The room logic lives in room-subscription.ts so it can be used (and tested) without React.
import { useEffect, useState } from "react";
import type { SwitchboardClient } from "switchboard/client";
import { subscribeRoom } from "./room-subscription.js";
import type { RoomSnapshot } from "./room-subscription.js";

export function useRoom<Message>(client: SwitchboardClient<object, object>, name: string, keep = 100): RoomSnapshot<Message> {
  const [snapshot, setSnapshot] = useState<RoomSnapshot<Message>>({ status: "joining", messages: [], connection: client.state });
  // Joins on mount, leaves on unmount or when the room name changes.
  useEffect(() => subscribeRoom<Message>(client, name, setSnapshot, keep), [client, name, keep]);
  return snapshot;
}

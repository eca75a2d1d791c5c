/** Built-in channels on the cluster bus; user code may subscribe but not emit on `switchboard:`. */
export const ClusterLifecycle = {
  connectionOpened: "switchboard:connection.opened",
  connectionClosed: "switchboard:connection.closed",
  roomJoined: "switchboard:room.joined",
  roomLeft: "switchboard:room.left",
  /** Each node's figures for the server API's cluster-wide stats, every few seconds. */
  nodeStats: "switchboard:node.stats",
} as const;

export const RESERVED_CHANNEL_PREFIX = "switchboard:";

export interface ConnectionLifecyclePayload {
  /** The node that holds the connection. */
  node: string;
  connectionId: string;
  userId: string | null;
}

export interface ConnectionClosedPayload extends ConnectionLifecyclePayload {
  code: number;
  reason: string;
}

export interface RoomLifecyclePayload extends ConnectionLifecyclePayload {
  room: string;
}

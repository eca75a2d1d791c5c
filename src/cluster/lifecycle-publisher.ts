import type { ConnectionView } from "../delivery/broadcast-operator.js";
import type { ClientFrame } from "../protocol/frames.js";
import { ClusterLifecycle } from "./lifecycle-channels.js";
import type { ConnectionClosedPayload, ConnectionLifecyclePayload, RoomLifecyclePayload } from "./lifecycle-channels.js";

/** The events a node emits for its own connections; the Switchboard emits them (and re-exports this type). */
export interface LifecycleEvents {
  connect: [connection: ConnectionView];
  disconnect: [connection: ConnectionView, code: number, reason: string];
  join: [connection: ConnectionView, room: string];
  leave: [connection: ConnectionView, room: string];
  message: [connection: ConnectionView, frame: ClientFrame];
  error: [error: unknown, connection: ConnectionView | undefined];
}

/** The Switchboard's local lifecycle events, which the bus republishes cluster-wide. */
export interface LifecycleSource {
  readonly node: string;
  on<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): unknown;
  off<Event extends keyof LifecycleEvents>(event: Event, listener: (...args: LifecycleEvents[Event]) => unknown): unknown;
}

type Publish = (channel: string, payload: ConnectionLifecyclePayload | ConnectionClosedPayload | RoomLifecyclePayload) => Promise<void>;

/**
 * Publishes connection opened/closed and room joined/left on the bus, each
 * with the node that holds the connection. Returns a function that stops it.
 */
export function connectLifecycle(source: LifecycleSource, publish: Publish): () => void {
  const node = source.node;
  // Returned to the Switchboard, which waits for it before shutdown closes the broker. A lifecycle
  // event must never disturb the connection it describes; publish failures are logged by the bus.
  const send = (channel: string, payload: ConnectionLifecyclePayload | ConnectionClosedPayload | RoomLifecyclePayload): Promise<void> =>
    publish(channel, payload).catch(() => undefined);
  const base = (connection: ConnectionView): ConnectionLifecyclePayload => ({ node, connectionId: connection.id, userId: connection.userId });
  const onConnect = (connection: ConnectionView): Promise<void> => send(ClusterLifecycle.connectionOpened, base(connection));
  const onDisconnect = (connection: ConnectionView, code: number, reason: string): Promise<void> =>
    send(ClusterLifecycle.connectionClosed, { ...base(connection), code, reason } satisfies ConnectionClosedPayload);
  const onJoin = (connection: ConnectionView, room: string): Promise<void> => send(ClusterLifecycle.roomJoined, { ...base(connection), room } satisfies RoomLifecyclePayload);
  const onLeave = (connection: ConnectionView, room: string): Promise<void> => send(ClusterLifecycle.roomLeft, { ...base(connection), room } satisfies RoomLifecyclePayload);
  source.on("connect", onConnect);
  source.on("disconnect", onDisconnect);
  source.on("join", onJoin);
  source.on("leave", onLeave);
  return () => {
    source.off("connect", onConnect);
    source.off("disconnect", onDisconnect);
    source.off("join", onJoin);
    source.off("leave", onLeave);
  };
}

import type { WebSocket } from "ws";

/**
 * One error for every dropped socket. Destroying a socket without an error makes
 * Node build a new ERR_STREAM_DESTROYED, stack trace and all, for each write still
 * queued in it: a slow consumer holds hundreds of queued frames, so dropping 100
 * of them at once blocked the event loop for most of a second (delivery to every
 * other client stalled with it). With an error given, Node hands that one object
 * to every queued write's callback: the same drop costs a few milliseconds.
 */
const DROPPED = Object.assign(new Error("connection dropped by the server (slow consumer or dead peer)"), { code: "SWITCHBOARD_DROPPED" });

/** Destroys a WebSocket's TCP socket at once, as `terminate()` would, without the per-write cost. */
export function dropSocket(ws: WebSocket): void {
  const raw = (ws as unknown as { _socket?: { destroy?: (error?: Error) => void; destroyed?: boolean } | null })._socket;
  if (raw === undefined || raw === null || typeof raw.destroy !== "function") {
    ws.terminate();
    return;
  }
  // ws listens for the socket's error (and then closes with 1006), so this error is never unhandled.
  if (raw.destroyed !== true) raw.destroy(DROPPED);
}

/**
 * The part of the WebSocket API the client uses: the browser's global WebSocket,
 * Node's `ws` and other implementations all fit it.
 */
type Handler<Event> = { bivarianceHack(event: Event): void }["bivarianceHack"];

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** readyState values; constants rather than WebSocket.OPEN so a custom implementation needs no statics. */
export const SOCKET_CONNECTING = 0;
export const SOCKET_OPEN = 1;

/** The WebSocket of this runtime, if it has one (browsers, Deno, Node 22+). */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const candidate = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof candidate === "function" ? (candidate as WebSocketConstructor) : undefined;
}

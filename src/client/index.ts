import { SwitchboardClient } from "./client.js";
import type { ClientOptions, DefaultEvents, DefaultRequests } from "./types.js";
import { globalWebSocket } from "./websocket.js";
import type { WebSocketConstructor } from "./websocket.js";

export * from "./exports.js";

/**
 * Connects to a Switchboard server (`ws://host:8080/ws`) and stays connected.
 * Uses `options.WebSocket`, else the runtime's global WebSocket, else (Node 20)
 * the `ws` package, loaded only then so browser builds never need it.
 */
export function connect<Events extends object = DefaultEvents, Requests extends object = DefaultRequests>(
  url: string,
  options: ClientOptions = {},
): SwitchboardClient<Events, Requests> {
  return new SwitchboardClient<Events, Requests>(url, options, () => resolveWebSocket(options.WebSocket));
}

async function resolveWebSocket(given: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  const found = given ?? globalWebSocket();
  if (found !== undefined) return found;
  try {
    const ws = await import("ws");
    return ws.WebSocket as unknown as WebSocketConstructor;
  } catch {
    throw new Error('This runtime has no global WebSocket and the "ws" package is not installed: npm install ws, or pass options.WebSocket.');
  }
}

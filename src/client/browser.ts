import { SwitchboardClient } from "./client.js";
import type { ClientOptions, DefaultEvents, DefaultRequests } from "./types.js";
import { globalWebSocket } from "./websocket.js";

export * from "./exports.js";

/**
 * The browser bundle's entry (served as /switchboard.js): the same API as
 * `switchboard/client`, using the page's WebSocket and never loading `ws`.
 */
export function connect<Events extends object = DefaultEvents, Requests extends object = DefaultRequests>(
  url: string,
  options: ClientOptions = {},
): SwitchboardClient<Events, Requests> {
  return new SwitchboardClient<Events, Requests>(url, options, async () => {
    const found = options.WebSocket ?? globalWebSocket();
    if (found === undefined) throw new Error("This runtime has no global WebSocket; pass options.WebSocket.");
    return found;
  });
}

/**
 * The Pusher protocol's error and close codes this server uses. pusher-js and the
 * other client SDKs act on the range: 4000–4099 do not reconnect, 4100–4199
 * reconnect after a backoff, 4200–4299 reconnect at once.
 */
export const PUSHER_CLOSE_CODES = {
  4001: { name: "appNotFound", reconnect: "no", meaning: "No app with this key is configured." },
  4004: { name: "overQuota", reconnect: "no", meaning: "The app is at its maxConnections on this node." },
  4005: { name: "pathNotFound", reconnect: "no", meaning: "The path is not /app/{key}." },
  4007: { name: "unsupportedProtocol", reconnect: "no", meaning: "The protocol version is not 5, 6 or 7." },
  4008: { name: "noProtocol", reconnect: "no", meaning: "No ?protocol= was given." },
  4009: { name: "unauthorized", reconnect: "no", meaning: "A sign-in failed, or the connection was terminated (HTTP API terminate_connections, server API disconnect)." },
  4100: { name: "overCapacity", reconnect: "backoff", meaning: "The node is overloaded, the client broke a rate policy, or it read too slowly." },
  4200: { name: "reconnectImmediately", reconnect: "immediately", meaning: "The node is shutting down or restarting." },
  4301: { name: "clientEventRateLimited", reconnect: "not closed", meaning: "A client event over the app's per-second limit was dropped (sent as pusher:error, the connection stays open)." },
} as const;

export const PusherCloseCode = {
  appNotFound: 4001,
  overQuota: 4004,
  pathNotFound: 4005,
  unsupportedProtocol: 4007,
  noProtocol: 4008,
  unauthorized: 4009,
  overCapacity: 4100,
  reconnectImmediately: 4200,
  clientEventRateLimited: 4301,
} as const satisfies Record<string, keyof typeof PUSHER_CLOSE_CODES>;

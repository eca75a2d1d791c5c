export { attachPusher } from "./pusher-server.js";
export type { AttachPusherOptions, PusherServer } from "./pusher-server.js";
export { PusherAdapter } from "./pusher-adapter.js";
export { PUSHER_CLOSE_CODES, PusherCloseCode } from "./pusher-close-codes.js";
export type { PusherAppOptions, PusherOptions, PusherWebhookEvent, PusherWebhookOptions } from "./pusher-options.js";

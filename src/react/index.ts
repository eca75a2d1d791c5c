// switchboard/react: React hooks over the client SDK (react is an optional peer dependency).
export { useConnectionState, useRoom } from "./use-room.js";
export { subscribeRoom } from "./room-subscription.js";
export type { AnyClient, RoomSnapshot, RoomSubscriptionOptions } from "./room-subscription.js";

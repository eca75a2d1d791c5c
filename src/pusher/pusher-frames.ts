import type { NativeServerFrame } from "../wire/wire-adapter.js";
import { channelKind } from "./pusher-channels.js";

/**
 * Pusher frames are `{"event","channel"?,"data"}` where `data` is a string for
 * channel events (JSON text, as the protocol defines) and an object for
 * `pusher:error`. A string payload goes out as it came in, so a publisher's
 * bytes reach Pusher subscribers unchanged; any other value is JSON-encoded.
 */
export function eventFrame(event: string, channel: string | undefined, data: unknown, userId?: string): string {
  const frame: Record<string, unknown> = { event };
  if (channel !== undefined) frame.channel = channel;
  frame.data = typeof data === "string" ? data : JSON.stringify(data ?? null);
  if (userId !== undefined) frame.user_id = userId;
  return JSON.stringify(frame);
}

/** `pusher:error`; `code` null for errors that do not close the connection. */
export function errorFrame(code: number | null, message: string): string {
  return JSON.stringify({ event: "pusher:error", data: { code, message } });
}

/** `pusher:subscription_error`, as pusher-js and Laravel Echo hand it to the channel's error callbacks. */
export function subscriptionErrorFrame(channel: string, type: string, error: string, status: number): string {
  return JSON.stringify({ event: "pusher:subscription_error", channel, data: { type, error, status } });
}

/** The event name a native publication carries on the Pusher side. */
export const DEFAULT_EVENT_NAME = "message";

/**
 * A room publication as a Pusher channel event. Client events on presence
 * channels carry the sender's `user_id`, as the protocol defines.
 */
export function publicationFrame(frame: NativeServerFrame, channel: string): string {
  const event = typeof frame.event === "string" ? frame.event : DEFAULT_EVENT_NAME;
  const from = frame.from as { userId?: string | null } | undefined;
  const userId = channelKind(channel) === "presence" && event.startsWith("client-") && typeof from?.userId === "string" ? from.userId : undefined;
  return eventFrame(event, channel, frame.data, userId);
}

/**
 * Pusher channel names and kinds. A channel is a Switchboard room: the room name
 * is the app's room prefix followed by the channel name.
 */
export type ChannelKind = "public" | "private" | "presence" | "encrypted";

/** The characters the Pusher protocol allows in channel names, minus `,` and `;`, which room names do not allow. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@.]+$/;
export const MAX_CHANNEL_NAME_LENGTH = 164;
/** pusher-js subscribes to this channel after `pusher:signin`; it is the user's connections, not a room. */
export const USER_CHANNEL_PREFIX = "#server-to-user-";

export function channelKind(channel: string): ChannelKind {
  if (channel.startsWith("private-encrypted-")) return "encrypted";
  if (channel.startsWith("private-")) return "private";
  if (channel.startsWith("presence-")) return "presence";
  return "public";
}

/** Whether a channel keeps its last event for new subscribers (`cache-`, `private-cache-`, …). */
export function isCacheChannel(channel: string): boolean {
  return /^(private-encrypted-|private-|presence-)?cache-/.test(channel);
}

/** Why a channel name is refused, or undefined when it is valid. */
export function channelNameProblem(channel: unknown): string | undefined {
  if (typeof channel !== "string" || channel.length === 0) return "The channel name must be a non-empty string.";
  if (channel.length > MAX_CHANNEL_NAME_LENGTH) return `Channel names are at most ${MAX_CHANNEL_NAME_LENGTH} characters.`;
  if (!CHANNEL_NAME.test(channel)) return "Channel names may contain only letters, digits and _ - = @ . (this server does not accept , or ;).";
  return undefined;
}

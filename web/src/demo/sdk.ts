import { connect } from "switchboard/client";
import type { ConnectionState, PresenceMember, RoomMessage, StateInfo } from "switchboard/client";

/**
 * The part of the client SDK the demo uses, in one place, so the pages read as
 * plain app code. Everything here is the public `switchboard/client` API.
 */
export { connect };
export type { ConnectionState, PresenceMember, StateInfo };

/** What the demo publishes: a chat line, or a volatile typing signal. */
export interface ChatMessageData {
  text?: string;
  name?: string;
  typing?: boolean;
}

export type MessageFrame = RoomMessage<unknown>;
export type DemoClient = ReturnType<typeof connect>;
export type DemoRoom = Awaited<ReturnType<DemoClient["join"]>>;

/**
 * Puts the display name in this connection's presence meta, so everyone's
 * presence list can show anonymous members by name. No TTL: it lasts as long
 * as the membership.
 */
export async function announceName(room: DemoRoom, name: string): Promise<void> {
  await room.setMeta({ name });
}

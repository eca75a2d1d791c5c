import type { PresenceConnection, PresenceDiff } from "switchboard";
import type { Frame } from "./client.js";

/** Matches a presence frame of `room` whose coalesced diff has `connectionId` in the given list. */
export function presenceWith(list: "joined" | "left" | "updated", connectionId: string, room?: string): (frame: Frame) => boolean {
  return (frame) => {
    if (frame.type !== "presence" || (room !== undefined && frame.room !== room)) return false;
    const data = frame.data as PresenceDiff;
    return (data[list] ?? []).some((entry) => entry.connectionId === connectionId);
  };
}

/** The diff of a presence frame. */
export function diffOf(frame: Frame): PresenceDiff {
  return frame.data as PresenceDiff;
}

/** Matches a presence frame in which `connectionId` is present (joined or updated) and `check` holds for its entry. */
export function presentWith(connectionId: string, check: (entry: PresenceConnection) => boolean, room?: string): (frame: Frame) => boolean {
  return (frame) => {
    if (frame.type !== "presence" || (room !== undefined && frame.room !== room)) return false;
    const data = frame.data as PresenceDiff;
    const entry = [...(data.joined ?? []), ...(data.updated ?? [])].find((candidate) => candidate.connectionId === connectionId);
    return entry !== undefined && check(entry);
  };
}

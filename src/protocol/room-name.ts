import { SwitchboardError } from "../protocol/error-codes.js";

/**
 * Room names are identifiers, not text: a conservative charset keeps them safe as
 * Redis keys, log fields and URL path segments.
 */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_\-:.@=+~]+$/;
export const DEFAULT_MAX_ROOM_NAME_LENGTH = 128;

export function assertRoomName(room: unknown, maxLength = DEFAULT_MAX_ROOM_NAME_LENGTH): asserts room is string {
  if (typeof room !== "string" || room.length === 0) {
    throw new SwitchboardError("bad_request", '"room" must be a non-empty string.');
  }
  if (room.length > maxLength) {
    throw new SwitchboardError("bad_request", `Room names are at most ${maxLength} characters.`);
  }
  if (!ROOM_NAME_PATTERN.test(room)) {
    throw new SwitchboardError("bad_request", "Room names may contain only letters, digits and _ - : . @ = + ~");
  }
}

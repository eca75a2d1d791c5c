import { SwitchboardError } from "../protocol/error-codes.js";
import { RESERVED_EVENT_TYPES } from "../protocol/frames.js";

/** Refuses a custom event type a client could not tell from a protocol frame. */
export function assertEventType(type: string): void {
  if (typeof type !== "string" || type.length === 0 || type.length > 128) throw new SwitchboardError("bad_request", "An event type must be a non-empty string of at most 128 characters.");
  if (RESERVED_EVENT_TYPES.has(type)) throw new SwitchboardError("bad_request", `"${type}" is a frame type of the protocol and cannot be a custom event.`);
}

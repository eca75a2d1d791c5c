import type { MessageSender, VolatileMessageFrame } from "./frames.js";

/**
 * A message frame is built as a head missing its offset and epoch so that a history store
 * (including a Redis script) can assign the offset and seal the frame without
 * re-serializing the payload.
 */
export function messageFrameHead(room: string, data: unknown, ts: number, from: MessageSender | undefined, event?: string): string {
  // Offset and epoch are appended as text.
  const json = volatileMessageFrame(room, data, ts, from, event);
  return `${json.slice(0, -1)},"offset":`;
}

/**
 * The offset and the room's epoch close the frame: a client that sees the epoch
 * change on a live connection knows offsets started again (history was lost)
 * rather than taking the new, lower offsets for duplicates. Epochs are
 * base64url, so they need no JSON escaping.
 */
export function sealMessageFrame(head: string, offset: number, epoch: string): string {
  return `${head}${offset},"epoch":"${epoch}"}`;
}

/** A volatile publication's whole frame: no offset, since it is never stored and never replayed. */
export function volatileMessageFrame(room: string, data: unknown, ts: number, from: MessageSender | undefined, event?: string): string {
  // Field by field in the order of MessageFrame, typed by it.
  const fields: Partial<VolatileMessageFrame> = { type: "message", room };
  if (event !== undefined) fields.event = event;
  fields.data = data;
  if (from !== undefined) fields.from = from;
  fields.ts = ts;
  return JSON.stringify(fields);
}

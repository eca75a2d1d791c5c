import type { MessageSender } from "./frames.js";

/**
 * A sender's JSON, once per sender object: a connection hands the same object to every
 * publication it makes (Connection.sender), so its frames reuse one string.
 */
const senderJson = new WeakMap<MessageSender, string>();

function jsonOfSender(from: MessageSender): string {
  let json = senderJson.get(from);
  if (json === undefined) {
    json = JSON.stringify({ userId: from.userId, connectionId: from.connectionId });
    senderJson.set(from, json);
  }
  return json;
}

/**
 * The frame's fields up to the last one, in the order of MessageFrame (type, room, event,
 * data, from, ts), written as text around the one JSON.stringify that must see the payload:
 * this runs for every publication, and building a fields object to stringify whole cost
 * the object, the sender's serialization and, for a stored message, a slice of the result.
 * Exactly what JSON.stringify of that object would produce: a `data` of undefined is left
 * out, as JSON.stringify leaves out an undefined property.
 */
function fieldsJson(room: string, data: unknown, ts: number, from: MessageSender | undefined, event: string | undefined): string {
  let json = `{"type":"message","room":${JSON.stringify(room)}`;
  if (event !== undefined) json += `,"event":${JSON.stringify(event)}`;
  // JSON.stringify yields undefined for undefined (and for a function or symbol, which it would also drop as a property).
  const payload = JSON.stringify(data) as string | undefined;
  if (payload !== undefined) json += `,"data":${payload}`;
  if (from !== undefined) json += `,"from":${jsonOfSender(from)}`;
  // A finite number's JSON is its String(): `ts` is a millisecond timestamp.
  return `${json},"ts":${ts}`;
}

/**
 * A message frame is built as a head missing its offset and epoch so that a history store
 * (including a Redis script) can assign the offset and seal the frame without
 * re-serializing the payload.
 */
export function messageFrameHead(room: string, data: unknown, ts: number, from: MessageSender | undefined, event?: string): string {
  return `${fieldsJson(room, data, ts, from, event)},"offset":`;
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
  return `${fieldsJson(room, data, ts, from, event)}}`;
}

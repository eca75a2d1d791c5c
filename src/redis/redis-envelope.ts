import type { BrokerMessage } from "../broker/broker.js";

/**
 * The wire form of a BrokerMessage on a Redis channel: a small JSON header, a
 * newline, then the body. For room messages the body is the frame itself, not a
 * JSON string holding it, so a frame is never escaped twice and a Lua script can
 * build the envelope around a frame it sealed (see redis-history-store.ts).
 * JSON text never contains a raw newline, so the first one ends the header.
 * Hand-written because it runs for every broadcast on every node.
 *
 * Header fields: n = origin node, k = kind, r = room, o = offset, x = except, t = sentAt.
 */
interface EnvelopeHeader {
  n: string;
  k: BrokerMessage["kind"];
  r?: string;
  o?: number;
  x?: string;
  t?: number;
}

export interface DecodedEnvelope {
  origin: string;
  message: BrokerMessage;
}

export function encodeEnvelope(origin: string, message: BrokerMessage): string {
  if (message.kind === "room") {
    const header: EnvelopeHeader = { n: origin, k: "room", r: message.room };
    if (message.offset !== undefined) header.o = message.offset;
    if (message.except !== undefined) header.x = message.except;
    if (message.sentAt !== undefined) header.t = message.sentAt;
    return `${JSON.stringify(header)}\n${message.frame}`;
  }
  return `${envelopeHeaderLine(origin, message.kind)}${JSON.stringify(message)}`;
}

/** The header and its newline of an envelope whose body is the message as JSON, for a script that appends the body. */
export function envelopeHeaderLine(origin: string, kind: Exclude<BrokerMessage["kind"], "room">): string {
  return `${JSON.stringify({ n: origin, k: kind })}\n`;
}

/**
 * The header of a room envelope without its opening brace, for a script that
 * prepends `{"o":<offset>,` once it knows the offset.
 */
export function roomEnvelopeHeaderTail(origin: string, room: string, except: string | undefined, sentAt?: number): string {
  const header: EnvelopeHeader = { n: origin, k: "room", r: room };
  if (except !== undefined) header.x = except;
  if (sentAt !== undefined) header.t = sentAt;
  return JSON.stringify(header).slice(1);
}

export function decodeEnvelope(payload: string): DecodedEnvelope | undefined {
  const newline = payload.indexOf("\n");
  if (newline === -1) return undefined;
  const header = JSON.parse(payload.slice(0, newline)) as EnvelopeHeader;
  const body = payload.slice(newline + 1);
  if (header.k === "room") {
    if (typeof header.r !== "string") return undefined;
    const message: BrokerMessage = { kind: "room", room: header.r, frame: body };
    if (header.o !== undefined) message.offset = header.o;
    if (header.x !== undefined) message.except = header.x;
    if (typeof header.t === "number") message.sentAt = header.t;
    return { origin: header.n, message };
  }
  return { origin: header.n, message: JSON.parse(body) as BrokerMessage };
}

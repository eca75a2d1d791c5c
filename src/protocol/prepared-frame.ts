import type { Codec } from "./codec.js";
import { jsonCodec } from "./codec.js";
import { frameOnce } from "../server/frame-writer.js";

/**
 * A server frame serialized once and shared by every recipient. JSON text is the
 * canonical form (it is what crosses the broker); other codecs re-encode it
 * lazily, at most once per frame, however many connections receive it.
 */
export class PreparedFrame {
  readonly json: string;
  private jsonBytes: Buffer | undefined;
  /** Per codec: the bytes, or the error encoding threw (kept, so a room of such recipients costs one attempt). */
  private otherEncodings: Map<Codec, Buffer | Error> | undefined;
  private jsonFramed: Buffer | undefined;
  private otherFramed: Map<Codec, Buffer> | undefined;
  private derivations: Map<object, unknown> | undefined;

  constructor(json: string) {
    this.json = json;
  }

  static of(frame: unknown): PreparedFrame {
    return new PreparedFrame(JSON.stringify(frame));
  }

  bytesFor(codec: Codec): Buffer {
    if (codec === jsonCodec) return (this.jsonBytes ??= Buffer.from(this.json));
    this.otherEncodings ??= new Map();
    let bytes = this.otherEncodings.get(codec);
    if (bytes === undefined) {
      try {
        bytes = codec.encode(JSON.parse(this.json));
      } catch (error) {
        bytes = error instanceof Error ? error : new Error(String(error));
      }
      this.otherEncodings.set(codec, bytes);
    }
    if (bytes instanceof Error) throw bytes;
    return bytes;
  }

  /**
   * A value computed from this frame once per `key` (a wire adapter's encoding),
   * however many of that adapter's connections receive it.
   */
  derived<T>(key: object, derive: (json: string) => T): T {
    this.derivations ??= new Map();
    if (this.derivations.has(key)) return this.derivations.get(key) as T;
    const value = derive(this.json);
    this.derivations.set(key, value);
    return value;
  }

  /**
   * The whole WebSocket frame (header + payload) for a codec, built on first
   * use and shared by every recipient; undefined when ws cannot frame for us
   * (the caller then sends `bytesFor(codec)` through ws).
   */
  framedFor(codec: Codec): Buffer | undefined {
    if (codec === jsonCodec) return (this.jsonFramed ??= frameOnce(this.bytesFor(codec), false));
    let framed = this.otherFramed?.get(codec);
    if (framed === undefined) {
      framed = frameOnce(this.bytesFor(codec), codec.binary);
      if (framed !== undefined) (this.otherFramed ??= new Map()).set(codec, framed);
    }
    return framed;
  }
}

/**
 * A message frame is built as a head missing its offset and epoch so that a history store
 * (including a Redis script) can assign the offset and seal the frame without
 * re-serializing the payload.
 */
export function messageFrameHead(room: string, data: unknown, ts: number, from: { userId: string | null; connectionId: string } | undefined, event?: string): string {
  const fields: Record<string, unknown> = { type: "message", room };
  if (event !== undefined) fields.event = event;
  fields.data = data;
  if (from !== undefined) fields.from = from;
  fields.ts = ts;
  const json = JSON.stringify(fields);
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

/** A volatile publication has no offset: it is never stored and never replayed. */
export function volatileMessageFrame(head: string): string {
  return `${head.slice(0, -10)}}`;
}

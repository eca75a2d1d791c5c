import type { Codec } from "../protocol/codec.js";
import { jsonCodec } from "../protocol/codec.js";
import { frameOnce } from "./frame-writer.js";

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

  /**
   * Length of the JSON form in bytes: what delivery counts per recipient. Measured
   * from the JSON bytes a native recipient is sent anyway, so it costs no second pass.
   */
  get byteLength(): number {
    return this.bytesFor(jsonCodec).length;
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

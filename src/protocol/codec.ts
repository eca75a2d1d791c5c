import { SwitchboardError } from "./error-codes.js";

/**
 * How frames travel on one connection. JSON text frames are the default;
 * other encodings (MessagePack) plug in by subprotocol.
 */
export interface Codec {
  /** The `Sec-WebSocket-Protocol` value that selects this codec. */
  readonly subprotocol: string;
  /** Whether encoded frames go out as binary WebSocket frames. */
  readonly binary: boolean;
  encode(frame: unknown): Buffer;
  decode(data: Buffer, isBinary: boolean): unknown;
}

export const jsonCodec: Codec = {
  subprotocol: "switchboard.v1.json",
  binary: false,
  encode(frame) {
    return Buffer.from(JSON.stringify(frame));
  },
  decode(data, isBinary) {
    if (isBinary) throw new SwitchboardError("bad_request", "Binary frames are not accepted with the JSON encoding.");
    try {
      return JSON.parse(data.toString("utf8"));
    } catch {
      throw new SwitchboardError("bad_request", "The frame is not valid JSON.");
    }
  },
};

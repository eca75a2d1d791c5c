import { Decoder, Encoder } from "@msgpack/msgpack";
import type { Codec } from "./codec.js";
import { SwitchboardError } from "./error-codes.js";

// One encoder and decoder per process: they keep reusable buffers, and frames are
// encoded synchronously, so sharing them is safe.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/**
 * The same frames as JSON, as MessagePack in binary WebSocket frames, selected
 * with the `switchboard.v1.msgpack` subprotocol. Pure JS (`@msgpack/msgpack`),
 * so installs need no native build. Text frames are refused on this encoding.
 */
export const msgpackCodec: Codec = {
  subprotocol: "switchboard.v1.msgpack",
  binary: true,
  encode(frame) {
    const bytes = encoder.encode(frame);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  decode(data, isBinary) {
    if (!isBinary) throw new SwitchboardError("bad_request", "Text frames are not accepted with the MessagePack encoding; send binary frames.");
    try {
      return decoder.decode(data);
    } catch {
      throw new SwitchboardError("bad_request", "The frame is not valid MessagePack.");
    }
  },
};

import { once } from "node:events";
import { decode, encode } from "@msgpack/msgpack";
import { WebSocket } from "ws";

export type Frame = Record<string, unknown> & { type: string };

/** A raw ws client on the MessagePack subprotocol, as a third-party client would speak it. */
export class MsgpackClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<number>;
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  private id = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = decode(data as Buffer) as Frame;
      const index = this.waiters.findIndex((waiter) => waiter.match(frame));
      if (index === -1) this.frames.push(frame);
      else this.waiters.splice(index, 1)[0]!.resolve(frame);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  }

  static async open(url: string): Promise<MsgpackClient> {
    const ws = new WebSocket(url, ["switchboard.v1.msgpack"]);
    const client = new MsgpackClient(ws);
    await once(ws, "open");
    await client.next((frame) => frame.type === "welcome");
    return client;
  }

  next(match: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }

  async ok(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.id++;
    this.ws.send(encode({ ...frame, id }));
    const reply = await this.next((candidate) => candidate.type === "reply" && candidate.id === id);
    if (reply.ok !== true) throw new Error(`request failed: ${JSON.stringify(reply.error)}`);
    return reply.data as Record<string, unknown>;
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}

/** `levels` arrays nested in each other, built without recursion. */
export function nested(levels: number): unknown {
  let value: unknown = "bottom";
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}

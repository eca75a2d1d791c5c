import WebSocket from "ws";
import type { ClientOptions } from "ws";

export type Frame = Record<string, unknown> & { type: string };

/**
 * A raw protocol client over a real WebSocket: buffers every frame so tests can
 * wait for the one they expect, in order.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  welcome: Frame | undefined;
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      const frame = (isBinary ? { type: "binary", data } : JSON.parse(data.toString())) as Frame;
      const index = this.waiters.findIndex((waiter) => waiter.match(frame));
      if (index !== -1) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter!.resolve(frame);
      } else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  get connectionId(): string {
    return (this.welcome?.data as { connectionId: string }).connectionId;
  }

  /** Resolves with the first buffered or future frame matching `match`. */
  next(match: (frame: Frame) => boolean = () => true, timeoutMs = 3_000): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`no matching frame within ${timeoutMs} ms; buffered: ${JSON.stringify(this.frames).slice(0, 500)}`));
      }, timeoutMs);
      const done = (frame: Frame): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  nextOfType(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((frame) => frame.type === type, timeoutMs);
  }

  /** Asserts that no frame matching `match` arrives within `ms`. */
  async expectNone(match: (frame: Frame) => boolean = () => true, ms = 200): Promise<void> {
    try {
      const frame = await this.next(match, ms);
      throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("unexpected frame")) throw error;
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id and resolves with its reply. */
  async request(frame: Record<string, unknown>, timeoutMs?: number): Promise<Frame> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return this.next((candidate) => (candidate.type === "reply" || candidate.type === "pong") && candidate.id === id, timeoutMs);
  }

  /** A request that must succeed; resolves with its reply data. */
  async ok(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = await this.request(frame);
    if (reply.ok !== true) throw new Error(`request ${JSON.stringify(frame)} failed: ${JSON.stringify(reply.error)}`);
    return reply.data as Record<string, unknown>;
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
    return this.closed;
  }
}

/** Opens a connection and waits for `welcome`; rejects with the HTTP status when the upgrade is refused. */
export function connect(url: string, options: ClientOptions & { protocols?: string | string[] } = {}): Promise<TestClient> {
  const { protocols, ...rest } = options;
  const ws = new WebSocket(url, protocols, rest);
  const client = new TestClient(ws);
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => reject(Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode, body })));
    });
    ws.once("error", reject);
    client.nextOfType("welcome").then((welcome) => {
      client.welcome = welcome;
      resolve(client);
    }, reject);
  });
}

export function upgradeStatus(url: string, options: ClientOptions & { protocols?: string | string[] } = {}): Promise<number> {
  return connect(url, options).then(
    async (client) => {
      await client.close();
      return 101;
    },
    (error: { status?: number }) => error.status ?? -1,
  );
}

import { SwitchboardClientError } from "./errors.js";
import type { ClientErrorCode } from "./errors.js";

type OutboundFrame = Record<string, unknown> & { type: string };

interface Entry {
  frame: OutboundFrame & { id: number };
  resolve(value: unknown): void;
  reject(error: SwitchboardClientError): void;
  /** Runs synchronously with the reply, before any later frame is handled (joins rely on it). */
  onReply: ((data: unknown) => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface TrackedRequest {
  timeoutMs: number;
  /** Wait in the queue while disconnected (user requests) or fail at once (pings, rejoins, auth). */
  queue: boolean;
  onReply?: (data: unknown) => void;
}

export interface RequestTransport {
  /** True once the connection has its welcome. */
  ready(): boolean;
  send(text: string): void;
}

/**
 * Frames that expect an answer: numbers them, sends them or queues them while
 * disconnected (bounded), and settles each with its reply, a timeout, or the loss
 * of the connection it went out on.
 */
export class RequestTracker {
  private nextId = 1;
  private readonly inFlight = new Map<number, Entry>();
  private readonly queue: Entry[] = [];

  constructor(
    private readonly transport: RequestTransport,
    private readonly maxQueued: number,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  request(frame: OutboundFrame, options: TrackedRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Entry = { frame: { ...frame, id: this.nextId++ }, resolve, reject, onReply: options.onReply, timer: undefined };
      if (this.transport.ready()) {
        if (!this.transmit(entry)) return;
      } else if (!options.queue) {
        return reject(new SwitchboardClientError("disconnected", `Not connected; "${frame.type}" was not sent.`));
      } else if (this.queue.length >= this.maxQueued) {
        return reject(new SwitchboardClientError("queue_full", `Not connected and ${this.maxQueued} requests are already queued; "${frame.type}" was not sent.`));
      } else this.queue.push(entry);
      if (Number.isFinite(options.timeoutMs) && options.timeoutMs > 0) {
        entry.timer = setTimeout(() => this.expire(entry, options.timeoutMs), options.timeoutMs);
      }
    });
  }

  /** Sends what waited in the queue, in order; call once connected. */
  flush(): void {
    while (this.queue.length > 0 && this.transport.ready()) this.transmit(this.queue.shift()!);
  }

  /** Settles the request a `reply` or `pong` answers; false when none waits for it. */
  settle(frame: { type: string; id?: unknown; ok?: unknown; data?: unknown; error?: unknown }): boolean {
    if (typeof frame.id !== "number") return false;
    const entry = this.inFlight.get(frame.id);
    if (entry === undefined) return false;
    this.inFlight.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === "pong") {
      entry.resolve(frame);
    } else if (frame.ok === true) {
      entry.onReply?.(frame.data);
      entry.resolve(frame.data);
    } else {
      const error = (frame.error ?? {}) as { code?: ClientErrorCode; message?: string; details?: unknown };
      entry.reject(new SwitchboardClientError(error.code ?? "internal", error.message ?? "The request failed.", error.details));
    }
    return true;
  }

  /** Fails requests that went out on a connection that is gone; queued ones wait for the next. */
  failInFlight(): void {
    for (const entry of this.inFlight.values()) {
      clearTimeout(entry.timer);
      entry.reject(new SwitchboardClientError("disconnected", `The connection closed before "${entry.frame.type}" was answered.`));
    }
    this.inFlight.clear();
  }

  /** Fails everything, queued included (the client is closed for good). */
  failAll(code: ClientErrorCode, message: string): void {
    this.failInFlight();
    for (const entry of this.queue.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(new SwitchboardClientError(code, message));
    }
  }

  private transmit(entry: Entry): boolean {
    let text: string;
    try {
      text = JSON.stringify(entry.frame);
    } catch (error) {
      clearTimeout(entry.timer);
      entry.reject(new SwitchboardClientError("bad_request", `"${entry.frame.type}" cannot be encoded as JSON: ${String(error)}`));
      return false;
    }
    this.inFlight.set(entry.frame.id, entry);
    this.transport.send(text);
    return true;
  }

  private expire(entry: Entry, timeoutMs: number): void {
    const queued = this.queue.indexOf(entry);
    if (queued !== -1) this.queue.splice(queued, 1);
    else if (!this.inFlight.delete(entry.frame.id)) return;
    entry.reject(new SwitchboardClientError("timeout", `No reply to "${entry.frame.type}" within ${timeoutMs} ms.`));
  }
}

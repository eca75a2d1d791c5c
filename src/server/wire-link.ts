import { SwitchboardError } from "../protocol/error-codes.js";
import type { ErrorBody } from "../protocol/error-codes.js";
import type { ClientFrame } from "../protocol/frames.js";
import type { PreparedFrame } from "../delivery/prepared-frame.js";
import { frameOnce } from "../delivery/frame-writer.js";
import type { Connection, WireEndpoint } from "../delivery/connection.js";
import type { NativeServerFrame, WireAdapter, WireConnection, WireRequest, WireSession } from "../wire/wire-adapter.js";

/** What a link needs from the server: the native dispatch, and re-indexing a connection under a user. */
export interface WireHost {
  readonly node: string;
  dispatch(connection: Connection, frame: ClientFrame): void;
  setUser(connection: Connection, userId: string, claims: Record<string, unknown>): void;
  /** An adapter threw: logged, and the connection is closed with 1011 (the adapter's state is unknown). */
  failed(connection: Connection, error: unknown): void;
}

/** A shared encoding, with its complete WebSocket frame for the write fast path. */
interface SharedEncoding {
  bytes: Buffer;
  framed: Buffer | undefined;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: SwitchboardError): void;
}

/**
 * Joins one connection to its wire adapter: the WireSession the adapter drives,
 * and the connection's WireEndpoint. Requests get ids of their own and their
 * replies settle promises instead of going to the socket.
 */
export class WireLink implements WireEndpoint, WireSession {
  handler: WireConnection | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  /** Set when the adapter closes with a code of its own protocol, which is then not translated. */
  private ownCode: number | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly adapter: WireAdapter,
    private readonly host: WireHost,
  ) {}

  get connectionId(): string {
    return this.connection.id;
  }

  get userId(): string | null {
    return this.connection.userId;
  }

  get node(): string {
    return this.host.node;
  }

  get rooms(): ReadonlySet<string> {
    return this.connection.rooms;
  }

  request(frame: WireRequest): Promise<unknown> {
    const id = `wire:${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.host.dispatch(this.connection, { ...frame, id } as ClientFrame);
    });
  }

  send(data: string | Buffer): void {
    this.connection.writeEncoded(data, this.adapter.binary);
  }

  close(code: number, reason: string): void {
    this.ownCode = code;
    this.connection.close(code, reason);
  }

  setUser(userId: string, claims: Record<string, unknown> = {}): void {
    this.host.setUser(this.connection, userId, claims);
  }

  // ---- WireEndpoint: what the server hands the connection ---------------------------

  deliver(frame: NativeServerFrame): void {
    if (frame.type === "reply" && typeof frame.id === "string") {
      const pending = this.pending.get(frame.id);
      if (pending !== undefined) {
        this.pending.delete(frame.id);
        if (frame.ok === true) pending.resolve(frame.data);
        else {
          const body = frame.error as ErrorBody;
          pending.reject(new SwitchboardError(body.code, body.message, body.details));
        }
        return;
      }
    }
    if (this.connection.socket.readyState === 1) this.handler?.deliver(frame);
  }

  deliverPrepared(frame: PreparedFrame): void {
    const shared = frame.derived(this.adapter, (json) => {
      const encoded = this.adapter.encodeShared(JSON.parse(json) as NativeServerFrame);
      return typeof encoded === "string" ? encoded : ({ bytes: encoded, framed: frameOnce(encoded, this.adapter.binary) } satisfies SharedEncoding);
    });
    if (shared === "skip") return;
    if (shared === "each") {
      this.handler?.deliver(frame.derived(PARSED, (json) => JSON.parse(json) as NativeServerFrame));
      return;
    }
    this.connection.writeEncoded(shared.bytes, this.adapter.binary, shared.framed);
  }

  receive(data: Buffer, isBinary: boolean): void {
    // Called from the socket's message event: a throw here must not reach ws (and the process).
    try {
      this.handler?.receive(data, isBinary);
    } catch (error) {
      this.host.failed(this.connection, error);
    }
  }

  rateLimited(): void {
    this.handler?.rateLimited?.();
  }

  closeCode(code: number): number {
    if (this.ownCode === code) return code;
    return this.adapter.closeCode?.(code) ?? code;
  }

  /** The socket closed: requests still in flight fail, then the adapter hears of it. */
  closed(code: number, reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new SwitchboardError("conflict", "The connection closed."));
    this.pending.clear();
    this.handler?.closed?.(code, reason);
  }
}

/** Key of the parsed form of a frame, shared by every adapter's per-connection delivery. */
const PARSED = {};

/**
 * A load-generator process: holds a share of the bench connections, counts
 * deliveries and their latency, and publishes when asked. Several of these run
 * side by side (pinned to the core the server does not use) so that no single
 * client process limits what the server can deliver.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { SignJWT } from "jose";
import { WebSocket } from "ws";
import { PROTOCOLS, now, payload } from "./client/protocols.js";
import type { Protocol, ProtocolName } from "./client/protocols.js";
import { cpuMicros, serveRpc } from "./rpc.js";

interface BenchConnection {
  ws: WebSocket;
  delivered: number;
  /** Resolves the join in progress, with the id it waits for. */
  joining: { id: number; done: (reply: Buffer) => void } | undefined;
}

export interface OpenArgs {
  protocol: ProtocolName;
  base: string;
  /** Per connection: the room it joins (none: it joins nothing). */
  rooms?: string[];
  count: number;
  concurrency: number;
  /** HS256 secret to mint one token per connection with; no secret: anonymous. */
  jwtSecret?: string;
  userPrefix: string;
  timeoutMs: number;
  /** Source address of the connections (127.0.0.x spreads a big run over more port ranges). */
  localAddress?: string;
}

export interface OpenResult {
  opened: number;
  failed: number;
  startedAt: number;
  endedAt: number;
  firstError?: string;
  firstIndex: number;
  /** CPU this process spent from the first upgrade to the last (token minting excluded). */
  cpuMicros: number;
}

export interface Report {
  delivered: number;
  firstAt: number;
  lastAt: number;
  cpuMicros: number;
  wallMs: number;
  latencies: number[];
  /** 99th percentile of this process's event-loop delay since the reset (ms): high means it was starved or overloaded. */
  loopDelayP99Ms: number;
  /** Every frame received since the reset (publications, replies, presence, pings) and its payload bytes. */
  framesIn: number;
  bytesIn: number;
}

export interface JoinAllArgs {
  room: string;
  /** Connection indexes [from, from + count) join, all at once. */
  from: number;
  count: number;
  timeoutMs: number;
}

export interface JoinAllResult {
  startedAt: number;
  lastReplyAt: number;
  replied: number;
  /** Replies that refused the join (Switchboard's `"ok":false`, e.g. `unavailable`). */
  refused: number;
  /** The first and last connection index whose join was answered without refusal (-1: none), to publish from and to watch. */
  firstJoined: number;
  lastJoined: number;
}

export interface PumpArgs {
  /** Publisher and watcher connection indexes per room; the watcher joined the room last. */
  rooms: Array<{ room: string; publisher: number; watcher: number }>;
  messagesPerRoom: number;
  window: number;
  timeoutMs: number;
  /**
   * Send the window as one burst in one TCP write, and the next only once the watcher has all
   * of it: every server then reads whole bursts and writes each member a burst per syscall, so
   * CPU per delivery no longer depends on how the generator's speed splits the window.
   */
  burst?: boolean;
}

export interface RateArgs {
  rooms: Array<{ room: string; publisher: number }>;
  perSecond: number;
  durationMs: number;
}

const connections: BenchConnection[] = [];
let protocol: Protocol | undefined;
let delivered = 0;
let framesIn = 0;
let bytesIn = 0;
let firstAt = 0;
let lastAt = 0;
let recording = false;
let latencies: number[] = [];
const MAX_SAMPLES = 500_000;
let cpuAtReset = cpuMicros();
let wallAtReset = performance.now();
let onDelivery: ((connection: BenchConnection) => void) | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function openOne(proto: Protocol, base: string, token: string | undefined, room: string | undefined, joinId: number, timeoutMs: number, localAddress: string | undefined): Promise<BenchConnection> {
  const { url, protocols } = proto.open(base, token);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...(localAddress === undefined ? {} : { localAddress }) });
    const connection: BenchConnection = { ws, delivered: 0, joining: undefined };
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("connect timed out"));
    }, timeoutMs);
    const usable = (): void => {
      ready = true;
      if (room === undefined) {
        clearTimeout(timer);
        resolve(connection);
        return;
      }
      connection.joining = {
        id: joinId,
        done: () => {
          clearTimeout(timer);
          resolve(connection);
        },
      };
      proto.join(ws, room, joinId);
    };
    ws.on("open", () => {
      if (proto.readyOnOpen) usable();
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on("message", (raw, isBinary) => {
      const data = raw as Buffer;
      framesIn++;
      bytesIn += data.length;
      if (!ready) {
        try {
          if (proto.handshake(ws, data, isBinary, token)) usable();
        } catch (error) {
          ws.terminate();
          reject(error as Error);
        }
        return;
      }
      if (proto.isDelivery(data, isBinary)) {
        connection.delivered++;
        delivered++;
        const at = now();
        if (firstAt === 0) firstAt = at;
        lastAt = at;
        if (recording && latencies.length < MAX_SAMPLES) latencies.push(at - proto.sentAt(data, isBinary));
        onDelivery?.(connection);
        return;
      }
      const joining = connection.joining;
      if (joining !== undefined && proto.isJoinReply(data, isBinary, joining.id)) {
        connection.joining = undefined;
        joining.done(data);
        return;
      }
      proto.onOther?.(ws, data);
    });
  });
}

async function mint(secret: string, count: number, prefix: string): Promise<string[]> {
  const key = new TextEncoder().encode(secret);
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    tokens.push(await new SignJWT({ sub: `${prefix}-${index}` }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("2h").sign(key));
  }
  return tokens;
}

serveRpc({
  async open(args: OpenArgs): Promise<OpenResult> {
    const proto = PROTOCOLS[args.protocol];
    protocol = proto;
    const tokens = args.jwtSecret === undefined ? undefined : await mint(args.jwtSecret, args.count, args.userPrefix);
    const startedAt = now();
    const cpuAtStart = cpuMicros();
    let next = 0;
    let failed = 0;
    let firstError: string | undefined;
    const slots: BenchConnection[] = new Array<BenchConnection>(args.count);
    const worker = async (): Promise<void> => {
      while (next < args.count) {
        const index = next++;
        try {
          slots[index] = await openOne(proto, args.base, tokens?.[index], args.rooms?.[index], index + 1, args.timeoutMs, args.localAddress);
        } catch (error) {
          failed++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, args.count) }, worker));
    const endedAt = now();
    const cpuSpent = cpuMicros() - cpuAtStart;
    // Keep indexes stable: a failed slot stays a hole the scenarios never use.
    const base = connections.length;
    for (let index = 0; index < args.count; index++) connections[base + index] = slots[index]!;
    return { opened: args.count - failed, failed, startedAt, endedAt, firstIndex: base, cpuMicros: cpuSpent, ...(firstError === undefined ? {} : { firstError }) };
  },

  reset(args: { record: boolean }) {
    delivered = 0;
    framesIn = 0;
    bytesIn = 0;
    firstAt = 0;
    lastAt = 0;
    latencies = [];
    recording = args.record;
    for (const connection of connections) if (connection !== undefined) connection.delivered = 0;
    cpuAtReset = cpuMicros();
    wallAtReset = performance.now();
    loopDelay.reset();
    return {};
  },

  report(): Report {
    return { delivered, firstAt, lastAt, cpuMicros: cpuMicros() - cpuAtReset, wallMs: performance.now() - wallAtReset, latencies, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, framesIn, bytesIn };
  },

  /** Sends a join on each of the given connections at once; resolves when every reply is in (or at the timeout). */
  joinAll(args: JoinAllArgs) {
    const proto = protocol!;
    const startedAt = now();
    return new Promise<JoinAllResult>((resolve) => {
      let replied = 0;
      let refused = 0;
      let firstJoined = -1;
      let lastJoined = -1;
      let lastReplyAt = startedAt;
      const finish = (): void => {
        clearTimeout(timer);
        resolve({ startedAt, lastReplyAt, replied, refused, firstJoined, lastJoined });
      };
      const timer = setTimeout(finish, args.timeoutMs);
      if (args.count === 0) return finish();
      for (let index = args.from; index < args.from + args.count; index++) {
        const connection = connections[index]!;
        // Ids above the ones `open` used, so no reply is taken for another.
        const id = 1_000_000 + index;
        connection.joining = {
          id,
          done: (reply) => {
            lastReplyAt = now();
            if (reply.includes('"ok":false')) refused++;
            else {
              if (firstJoined === -1 || index < firstJoined) firstJoined = index;
              if (index > lastJoined) lastJoined = index;
            }
            if (++replied === args.count) finish();
          },
        };
        proto.join(connection.ws, args.room, id);
      }
    });
  },

  /** One publication from one connection. */
  publishOne(args: { index: number; room: string }) {
    connections[args.index]!.ws.send(protocol!.publish(args.room, payload(now())));
    return { sentAt: now() };
  },

  /** Publishes as fast as delivery allows: each room keeps at most `window` publications ahead of its watcher. */
  pump(args: PumpArgs) {
    const proto = protocol!;
    const startedAt = now();
    return new Promise<{ published: number; startedAt: number; endedAt: number; timedOut: boolean }>((resolve) => {
      let published = 0;
      let finished = 0;
      const state = args.rooms.map((room) => ({ ...room, sent: 0, publisher: connections[room.publisher]!, watcher: connections[room.watcher]! }));
      const byWatcher = new Map(state.map((room) => [room.watcher, room]));
      const fill = (room: (typeof state)[number]): void => {
        if (args.burst === true && room.sent !== room.watcher.delivered) return;
        // ws corks per frame and uncorks after it; an outer cork holds the whole burst for one write.
        const raw = args.burst === true ? (room.publisher.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket : undefined;
        raw?.cork();
        while (room.sent < args.messagesPerRoom && room.sent - room.watcher.delivered < args.window) {
          room.publisher.ws.send(proto.publish(room.room, payload(now())));
          room.sent++;
          published++;
        }
        raw?.uncork();
      };
      const done = (timedOut: boolean): void => {
        clearTimeout(timer);
        onDelivery = undefined;
        resolve({ published, startedAt, endedAt: now(), timedOut });
      };
      const timer = setTimeout(() => done(true), args.timeoutMs);
      onDelivery = (connection) => {
        const room = byWatcher.get(connection);
        if (room === undefined) return;
        if (room.watcher.delivered >= args.messagesPerRoom) {
          if (room.watcher.delivered === args.messagesPerRoom && ++finished === state.length) done(false);
          return;
        }
        fill(room);
      };
      for (const room of state) fill(room);
    });
  },

  /** Publishes at a fixed total rate, round-robin over rooms, in 5 ms ticks. */
  rate(args: RateArgs) {
    const proto = protocol!;
    return new Promise<{ published: number }>((resolve) => {
      const started = performance.now();
      let published = 0;
      let cursor = 0;
      const tick = setInterval(() => {
        const elapsed = performance.now() - started;
        const due = Math.min(Math.floor((elapsed / 1000) * args.perSecond), Math.ceil((args.durationMs / 1000) * args.perSecond));
        while (published < due) {
          const room = args.rooms[cursor++ % args.rooms.length]!;
          connections[room.publisher]!.ws.send(proto.publish(room.room, payload(now())));
          published++;
        }
        if (elapsed >= args.durationMs) {
          clearInterval(tick);
          resolve({ published });
        }
      }, 5);
    });
  },

  close() {
    for (const connection of connections) connection?.ws.terminate();
    connections.length = 0;
    return {};
  },
});

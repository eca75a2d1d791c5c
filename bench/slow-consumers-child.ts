/**
 * The slow-consumers load generator: `stalled` connections join the room and
 * stop reading (their sockets paused, so the kernel buffers fill and the server
 * must drop them), `readers` join and read, one publisher publishes at a fixed
 * rate. Records every reader delivery's latency by the second it arrived in.
 */
import type { Socket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { WebSocket } from "ws";
import { now, switchboardJson } from "./client/protocols.js";
import { serveRpc } from "./rpc.js";

export interface SlowConsumersArgs {
  base: string;
  room: string;
  readers: number;
  stalled: number;
  perSecond: number;
  durationMs: number;
  /** Bytes of padding per publication: what fills a stalled client's buffers. */
  padBytes: number;
  timeoutMs: number;
}

export interface SecondFigures {
  second: number;
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SlowConsumersResult {
  /** Wall-clock time (ms since the epoch) of second 0. */
  startedAt: number;
  published: number;
  delivered: number;
  seconds: SecondFigures[];
  all: { p50Ms: number; p99Ms: number; maxMs: number };
  /** Close codes of the stalled connections, by code. */
  stalledClosed: Record<string, number>;
  /** Readers closed during the run, by code: when the generator itself stalls (a busy machine), readers look slow too and the run's figures do not count. */
  readersClosed: Record<string, number>;
  loopDelayP99Ms: number;
}

const protocol = switchboardJson;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function open(base: string, room: string, onMessage: ((data: Buffer) => void) | undefined, timeoutMs: number): Promise<WebSocket> {
  const { url, protocols } = protocol.open(base, undefined);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("connect timed out"));
    }, timeoutMs);
    let welcomed = false;
    ws.on("message", (data: Buffer, isBinary) => {
      if (!welcomed) {
        welcomed = true;
        protocol.join(ws, room, 1);
        return;
      }
      if (protocol.isJoinReply(data, isBinary, 1)) {
        clearTimeout(timer);
        resolve(ws);
        return;
      }
      onMessage?.(data);
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(samples: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = Float64Array.from(samples).sort();
  const list = Array.from(sorted);
  return { p50Ms: quantile(list, 0.5), p99Ms: quantile(list, 0.99), maxMs: list.at(-1) ?? Number.NaN };
}

async function run(args: SlowConsumersArgs): Promise<SlowConsumersResult> {
  const stalled: WebSocket[] = [];
  const codes: Record<string, number> = {};
  const closedAll: Array<Promise<void>> = [];
  for (let index = 0; index < args.stalled; index++) {
    const ws = await open(args.base, args.room, undefined, args.timeoutMs);
    closedAll.push(new Promise((resolve) => ws.once("close", (code) => {
      codes[code] = (codes[code] ?? 0) + 1;
      resolve();
    })));
    // Never reads again: the kernel buffers fill, then the server's queue grows past its bound.
    (ws as unknown as { _socket: Socket })._socket.pause();
    stalled.push(ws);
  }
  let startedAt = 0;
  let delivered = 0;
  const bySecond: number[][] = [];
  const all: number[] = [];
  const onMessage = (data: Buffer): void => {
    if (!protocol.isDelivery(data, false) || startedAt === 0) return;
    const at = now();
    const latency = at - protocol.sentAt(data, false);
    delivered++;
    const second = Math.floor((at - startedAt) / 1000);
    (bySecond[second] ??= []).push(latency);
    if (all.length < 2_000_000) all.push(latency);
  };
  const readers: WebSocket[] = [];
  const readersClosed: Record<string, number> = {};
  let measuring = true;
  for (let index = 0; index < args.readers; index += 50) {
    readers.push(...(await Promise.all(Array.from({ length: Math.min(50, args.readers - index) }, () => open(args.base, args.room, onMessage, args.timeoutMs)))));
  }
  for (const ws of readers) ws.once("close", (code) => {
    if (measuring) readersClosed[code] = (readersClosed[code] ?? 0) + 1;
  });
  const publisher = await open(args.base, args.room, undefined, args.timeoutMs);
  loopDelay.enable();
  startedAt = now();
  const pad = "x".repeat(args.padBytes);
  let published = 0;
  const total = Math.round((args.perSecond * args.durationMs) / 1000);
  // A fixed schedule: publication i goes out at startedAt + i / perSecond (bounded by `total`).
  while (published < total) {
    const due = startedAt + (published * 1000) / args.perSecond;
    const wait = due - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    publisher.send(`{"type":"publish","room":${JSON.stringify(args.room)},"data":{"sent":${now().toFixed(3)},"pad":"${pad}"}}`);
    published++;
  }
  // Let the last deliveries arrive (bounded).
  const expected = published * args.readers;
  const deadline = now() + 10_000;
  while (delivered < expected && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  loopDelay.disable();
  measuring = false;
  for (const ws of stalled) (ws as unknown as { _socket: Socket })._socket.resume();
  await Promise.race([Promise.all(closedAll), new Promise((resolve) => setTimeout(resolve, 8_000))]);
  for (const ws of [...readers, publisher, ...stalled]) ws.terminate();
  // Array.from, not map: a second without deliveries (a stall) is a hole that map would skip.
  const seconds = Array.from({ length: bySecond.length }, (_, second) => ({ second, deliveries: bySecond[second]?.length ?? 0, ...summary(bySecond[second] ?? []) }));
  return { startedAt, published, delivered, seconds, all: summary(all), stalledClosed: codes, readersClosed, loopDelayP99Ms: loopDelay.percentile(99) / 1e6 };
}

serveRpc({ run });

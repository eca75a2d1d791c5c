import { createHmac } from "node:crypto";
import { decode, encode } from "@msgpack/msgpack";
import { WebSocket } from "ws";

/**
 * How a bench connection speaks to one target. All three run on the same raw
 * `ws` client, so the client side of every target costs about the same: the
 * Socket.IO one is a minimal engine.io v4 client (handshake `0{...}`, connect
 * `40`, events `42[...]`, acks `43`, ping `2` answered with `3`).
 */
export interface Protocol {
  /** URL and subprotocols of the upgrade. */
  open(base: string, token: string | undefined): { url: string; protocols: string[] };
  /** Handles one inbound frame while connecting; returns true once the connection is usable. */
  handshake(ws: WebSocket, data: Buffer, isBinary: boolean, token: string | undefined): boolean;
  /** Whether the connection is usable as soon as the socket opens (no server hello). */
  readyOnOpen: boolean;
  join(ws: WebSocket, room: string, id: number): void;
  /** Whether a frame answers the join with this id. */
  isJoinReply(data: Buffer, isBinary: boolean, id: number): boolean;
  /** The encoded publish of `data` (a JSON text of a 100-byte object) to `room`. */
  publish(room: string, data: string): Buffer | string;
  /** Whether a frame is a delivered publication; cheap, no parsing. */
  isDelivery(data: Buffer, isBinary: boolean): boolean;
  /** The `sent` time embedded in a delivered publication's data. */
  sentAt(data: Buffer, isBinary: boolean): number;
  /** Answers keep-alives the target needs answered at the application level. */
  onOther?(ws: WebSocket, data: Buffer): void;
  /** False when a publisher does not receive its own publications (Pusher client events). Default true. */
  publisherReceives?: boolean;
}

const SENT = Buffer.from('"sent":');

function sentInJson(data: Buffer): number {
  const at = data.indexOf(SENT);
  return at === -1 ? Number.NaN : Number.parseFloat(data.toString("latin1", at + SENT.length, at + SENT.length + 24));
}

const M = 0x6d; // "m"

function switchboard(binary: boolean): Protocol {
  const subprotocol = binary ? "switchboard.v1.msgpack" : "switchboard.v1.json";
  return {
    open: (base, token) => ({ url: `${base}/ws${token === undefined ? "" : `?token=${token}`}`, protocols: [subprotocol] }),
    readyOnOpen: false,
    handshake: () => true, // the first frame is the welcome
    join(ws, room, id) {
      ws.send(binary ? encode({ type: "join", room, id }) : JSON.stringify({ type: "join", room, id }));
    },
    isJoinReply(data, isBinary, id) {
      if (!isBinary) return data.includes(`"id":${id},`) && data.includes('"type":"reply"');
      const frame = decode(data) as { type?: string; id?: unknown };
      return frame.type === "reply" && frame.id === id;
    },
    publish(room, data) {
      if (binary) return Buffer.from(encode({ type: "publish", room, data: JSON.parse(data) as unknown }));
      return `{"type":"publish","room":${JSON.stringify(room)},"data":${data}}`;
    },
    // JSON: `{"type":"message"...` has "m" at index 9. MessagePack: map header, fixstr "type", fixstr(7) "message" has "m" at 7.
    isDelivery: binary ? (data, isBinary) => isBinary && data[7] === M && data[6] === 0xa7 : (data) => data[9] === M,
    sentAt: binary ? (data) => (decode(data) as { data: { sent: number } }).data.sent : sentInJson,
  };
}

export const switchboardJson = switchboard(false);
export const switchboardMsgpack = switchboard(true);

export const socketIo: Protocol = {
  open: (base) => ({ url: `${base}/socket.io/?EIO=4&transport=websocket`, protocols: [] }),
  readyOnOpen: false,
  handshake(ws, data, _isBinary, token) {
    if (data[0] === 0x30) {
      ws.send(token === undefined ? "40" : `40${JSON.stringify({ token })}`);
      return false;
    }
    if (data[0] === 0x34 && data[1] === 0x30) return true;
    if (data[0] === 0x34 && data[1] === 0x34) throw new Error(`socket.io refused the connection: ${data.toString()}`);
    return false;
  },
  join(ws, room, id) {
    ws.send(`42${id}${JSON.stringify(["join", room])}`);
  },
  isJoinReply: (data, _isBinary, id) => data.toString("latin1", 0, 2 + String(id).length + 1) === `43${id}[`,
  publish: (room, data) => `42["pub",${JSON.stringify(room)},${data}]`,
  isDelivery: (data) => data[0] === 0x34 && data[1] === 0x32 && data[2] === 0x5b && data[4] === M,
  sentAt: sentInJson,
  onOther(ws, data) {
    if (data.length === 1 && data[0] === 0x32) ws.send("3");
  },
};

export const wsBaseline: Protocol = {
  open: (base, token) => ({ url: `${base}/${token === undefined ? "" : `?token=${token}`}`, protocols: [] }),
  readyOnOpen: true,
  handshake: () => true,
  join(ws, room) {
    ws.send(JSON.stringify({ t: "join", room }));
  },
  isJoinReply: (data) => data.toString("latin1") === '{"t":"joined"}',
  publish: (room, data) => `{"t":"pub","room":${JSON.stringify(room)},"data":${data}}`,
  // `{"t":"msg"` has "m" at index 6.
  isDelivery: (data) => data[6] === M && data[2] === 0x74,
  sentAt: sentInJson,
};

/** The Pusher app every bench Switchboard serves; its rooms are `bench:{channel}`. */
export const BENCH_PUSHER_APP = { id: "bench", key: "bench-key", secret: "bench-secret-0123", roomPrefix: "bench:", clientEvents: true, clientEventsPerSecond: 1_000_000_000 };

const socketIds = new WeakMap<WebSocket, string>();
const ESCAPED_SENT = Buffer.from('sent\\":');

/** The Pusher channel of a bench room: private, so that clients may publish client events to it. */
function pusherChannel(room: string): string {
  return `private-${room.slice(BENCH_PUSHER_APP.roomPrefix.length)}`;
}

/**
 * Pusher protocol 7 as pusher-js speaks it: subscriptions signed with the app
 * secret, publications as client events (which the sender does not get back).
 * Delivered events carry `data` as a JSON string, hence the escaped quotes.
 */
export const pusherProtocol: Protocol = {
  open: (base) => ({ url: `${base}/app/${BENCH_PUSHER_APP.key}?protocol=7&client=js&version=8.6.0`, protocols: [] }),
  readyOnOpen: false,
  handshake(ws, data) {
    const message = JSON.parse(data.toString()) as { event: string; data: string };
    if (message.event === "pusher:error") throw new Error(`pusher refused the connection: ${data.toString()}`);
    if (message.event !== "pusher:connection_established") return false;
    socketIds.set(ws, (JSON.parse(message.data) as { socket_id: string }).socket_id);
    return true;
  },
  join(ws, room) {
    const channel = pusherChannel(room);
    const signature = createHmac("sha256", BENCH_PUSHER_APP.secret).update(`${socketIds.get(ws)}:${channel}`).digest("hex");
    ws.send(JSON.stringify({ event: "pusher:subscribe", data: { channel, auth: `${BENCH_PUSHER_APP.key}:${signature}` } }));
  },
  isJoinReply: (data) => data.includes("pusher_internal:subscription_succeeded"),
  publish: (room, data) => `{"event":"client-bench","channel":${JSON.stringify(pusherChannel(room))},"data":${data}}`,
  // `{"event":"client-bench"…`: "c" at index 10; the protocol's own events start with "p".
  isDelivery: (data) => data[10] === 0x63 && data[2] === 0x65,
  sentAt(data) {
    const at = data.indexOf(ESCAPED_SENT);
    return at === -1 ? Number.NaN : Number.parseFloat(data.toString("latin1", at + ESCAPED_SENT.length, at + ESCAPED_SENT.length + 24));
  },
  publisherReceives: false,
};

export type ProtocolName = "switchboard" | "switchboard-msgpack" | "pusher" | "socketio" | "ws";

export const PROTOCOLS: Record<ProtocolName, Protocol> = {
  switchboard: switchboardJson,
  "switchboard-msgpack": switchboardMsgpack,
  pusher: pusherProtocol,
  socketio: socketIo,
  ws: wsBaseline,
};

/** A 100-byte JSON object carrying the send time (ms, same machine clock in every process). */
export function payload(sent: number): string {
  const head = `{"sent":${sent.toFixed(3)},"pad":"`;
  return `${head}${"x".repeat(Math.max(0, 100 - head.length - 2))}"}`;
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

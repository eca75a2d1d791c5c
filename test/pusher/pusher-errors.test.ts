import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import type { ApiServer } from "../support/api-server.js";
import { startApiServer } from "../support/api-server.js";
import { portOf } from "./support.js";

const OPEN = { id: "1", key: "open-key", secret: "open-secret-0123", clientEvents: true, clientEventsPerSecond: 2 };
const CLOSED = { id: "2", key: "closed-key", secret: "closed-secret-0123", roomPrefix: "closed:" };
const LIMITED = { id: "3", key: "limited-key", secret: "limited-secret-0123", maxConnections: 1, roomPrefix: "limited:" };

/** A raw protocol-7 connection, for the edges pusher-js hides: error codes and close codes. */
async function raw(server: ApiServer, path: string): Promise<{ ws: WebSocket; socketId: string | undefined; next(event: string): Promise<{ event: string; channel?: string; data: unknown }>; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}${path}`);
  const messages: Array<{ event: string; channel?: string; data: unknown }> = [];
  const waiters: Array<{ events: string[]; resolve: (message: { event: string; data: unknown }) => void }> = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { event: string; data: unknown };
    const index = waiters.findIndex((waiter) => waiter.events.includes(message.event));
    if (index === -1) messages.push(message);
    else waiters.splice(index, 1)[0]!.resolve(message);
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  const nextOf = (events: string[]): Promise<{ event: string; data: unknown }> => {
    const index = messages.findIndex((message) => events.includes(message.event));
    if (index !== -1) return Promise.resolve(messages.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${events.join(" or ")}; got ${JSON.stringify(messages)}`)), 5_000);
      waiters.push({ events, resolve: (message) => (clearTimeout(timer), resolve(message)) });
    });
  };
  const next = (event: string): Promise<{ event: string; data: unknown }> => nextOf([event]);
  const first = await nextOf(["pusher:connection_established", "pusher:error"]);
  const socketId = first.event === "pusher:connection_established" ? (JSON.parse(first.data as string) as { socket_id: string }).socket_id : undefined;
  if (socketId === undefined) messages.unshift(first);
  return { ws, socketId, next, closed };
}

function subscribePrivate(connection: { ws: WebSocket; socketId: string | undefined }, app: { key: string; secret: string }, channel: string): void {
  const auth = `${app.key}:${createHmac("sha256", app.secret).update(`${connection.socketId}:${channel}`).digest("hex")}`;
  connection.ws.send(JSON.stringify({ event: "pusher:subscribe", data: { channel, auth } }));
}

describe("Pusher protocol errors and close codes", () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ SWITCHBOARD_PUSHER_APPS: JSON.stringify([OPEN, CLOSED, LIMITED]) });
  });
  after(async () => {
    await server.close();
  });

  it("closes with 4008 without ?protocol, 4007 for an unsupported one, 4005 for a path without a key", async () => {
    assert.equal(await (await raw(server, `/app/${OPEN.key}`)).closed, 4008);
    assert.equal(await (await raw(server, `/app/${OPEN.key}?protocol=3`)).closed, 4007);
    assert.equal(await (await raw(server, `/app/?protocol=7`)).closed, 4005);
  });

  it("closes with 4004 when the app is at maxConnections", async () => {
    const first = await raw(server, `/app/${LIMITED.key}?protocol=7`);
    assert.ok(first.socketId !== undefined);
    const second = await raw(server, `/app/${LIMITED.key}?protocol=7`);
    assert.equal(((await second.next("pusher:error")).data as { code: number }).code, 4004);
    assert.equal(await second.closed, 4004);
    first.ws.close();
  });

  it("refuses client events where the app or the channel does not allow them, and over the rate", async () => {
    const closedApp = await raw(server, `/app/${CLOSED.key}?protocol=7`);
    subscribePrivate(closedApp, CLOSED, "private-x");
    await closedApp.next("pusher_internal:subscription_succeeded");
    closedApp.ws.send(JSON.stringify({ event: "client-hi", channel: "private-x", data: {} }));
    assert.match(((await closedApp.next("pusher:error")).data as { message: string }).message, /not enabled/);
    closedApp.ws.close();

    const sender = await raw(server, `/app/${OPEN.key}?protocol=7`);
    sender.ws.send(JSON.stringify({ event: "pusher:subscribe", data: { channel: "public-room" } }));
    await sender.next("pusher_internal:subscription_succeeded");
    sender.ws.send(JSON.stringify({ event: "client-hi", channel: "public-room", data: {} }));
    assert.match(((await sender.next("pusher:error")).data as { message: string }).message, /private and presence/);

    subscribePrivate(sender, OPEN, "private-rate");
    await sender.next("pusher_internal:subscription_succeeded");
    for (let index = 0; index < 5; index++) sender.ws.send(JSON.stringify({ event: "client-burst", channel: "private-rate", data: { index } }));
    assert.equal(((await sender.next("pusher:error")).data as { code: number }).code, 4301);
    sender.ws.close();
  });

  it("answers a frame that is not JSON with pusher:error and keeps the connection", async () => {
    const connection = await raw(server, `/app/${OPEN.key}?protocol=7`);
    connection.ws.send("not json");
    assert.equal(((await connection.next("pusher:error")).data as { code: null }).code, null);
    connection.ws.send(JSON.stringify({ event: "pusher:ping", data: {} }));
    await connection.next("pusher:pong");
    connection.ws.close();
  });

  it("keeps apps apart: a channel of one app is another room than the same channel of the other", async () => {
    const a = await raw(server, `/app/${OPEN.key}?protocol=7`);
    a.ws.send(JSON.stringify({ event: "pusher:subscribe", data: { channel: "shared-name" } }));
    await a.next("pusher_internal:subscription_succeeded");
    const rooms = await server.call("GET", "/api/rooms");
    const names = (rooms.body.rooms as Array<{ room: string }>).map((room) => room.room);
    assert.ok(names.includes("shared-name"));
    assert.ok(!names.includes("closed:shared-name"));
    a.ws.close();
  });
});

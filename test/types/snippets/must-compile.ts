// Compiled by test/types/event-map.test.ts (and `npm run typecheck`): everything here must
// type-check, and every `@ts-expect-error` line must be an error (an unused one fails tsc).
// Never executed.
import { createServer } from "node:http";
import * as v from "valibot";
import { z } from "zod";
import { createServerApi, createSwitchboard } from "switchboard";
import type { BroadcastOperator, HandlerContext, Middleware, RequestHandler, Switchboard } from "switchboard";
import { connect } from "switchboard/client";
import type { Room, SwitchboardClient } from "switchboard/client";
import { useRoom } from "switchboard/react";
import type { AppEvents } from "./app-events.js";

// ---- Server -----------------------------------------------------------------------------

const sb = createSwitchboard<AppEvents>({ auth: { anonymous: true } });
sb.attach(createServer(), { path: "/ws" });

sb.handle("lobby:create", (_ctx, data) => ({ room: `lobby:${data.name}` }));
sb.handle({ type: "lobby:create", action: "quick" }, async (ctx, data) => {
  ctx.emit("score", data.name.length);
  await ctx.broadcast.to("lobby").emit("match_found", { matchId: "m1", players: [data.name] });
  return { room: data.name };
});
// A schema whose output is the declared data (or narrower); the reply sent early with ctx.reply.
sb.handle("lobby:create", z.object({ name: z.string().min(1) }), (ctx, data) => {
  ctx.reply({ room: data.name.toUpperCase() });
});
sb.handle("lobby:create", v.object({ name: v.string() }), async (_ctx, data) => ({ room: data.name }));
// A schema that transforms: it accepts the declared data, the handler gets its output.
sb.handle(
  { type: "lobby:create", action: "sized" },
  z.object({ name: z.string().transform((name) => name.length) }),
  (_ctx, data) => ({ room: data.name.toFixed() }),
);
sb.handle("lobby:list", () => ["lobby:a", "lobby:b"]);

void sb.to("lobby:a").emit("match_found", { matchId: "m2", players: [] });
void sb.toUser("ada").except("connection-1").emit("score", 3);
const operator: BroadcastOperator<AppEvents["events"]> = sb.toAll().filter((connection) => connection.userId !== null);
void operator.emit("score", 1);

const logging: Middleware<AppEvents> = async (ctx, next) => {
  ctx.emit("score", 0);
  await next();
};
sb.use(logging);

// A handler written apart, typed from the map.
function createLobby(ctx: HandlerContext<AppEvents, { room: string }>, data: { name: string }): { room: string } {
  ctx.emit("match_found", { matchId: data.name, players: [ctx.connectionId] });
  return { room: data.name };
}
sb.handle({ type: "lobby:create", action: "named" }, createLobby);
const listLobbies: RequestHandler<AppEvents, "lobby:list"> = async (ctx) => [ctx.node];
sb.handle("lobby:list", listLobbies);
const typedServer: Switchboard<AppEvents> = sb;
void typedServer;

// A typed server is still a Switchboard for code that takes any.
const plain: Switchboard = sb;
createServerApi(sb, { apiKeys: ["k"] });
void plain.to("x").emit("anything", { at: "all" });

// @ts-expect-error: the payload has no `size`
sb.handle("lobby:create", (_ctx, data) => ({ room: String(data.size) }));
// @ts-expect-error: the reply's room must be a string
sb.handle("lobby:create", () => ({ room: 42 }));
// @ts-expect-error: ctx.reply with the wrong reply
sb.handle("lobby:list", (ctx) => ctx.reply([1, 2]));
// @ts-expect-error: not a declared request
sb.handle("lobby:delete", () => null);
// @ts-expect-error: the schema does not accept the declared data
sb.handle("lobby:create", z.object({ name: z.number() }), (_ctx, data) => ({ room: String(data.name) }));
// @ts-expect-error: the schema requires a field clients are not declared to send
sb.handle("lobby:create", z.object({ name: z.string(), owner: z.string() }), (_ctx, data) => ({ room: data.owner }));
// @ts-expect-error: wrong event data
void sb.to("lobby:a").emit("score", "three");
// @ts-expect-error: not a declared event
void sb.to("lobby:a").emit("match_lost", {});
sb.handle("lobby:list", (ctx) => {
  // @ts-expect-error: ctx.emit checks the data too
  ctx.emit("match_found", { matchId: 1, players: [] });
  return [];
});

// Untyped, as before: any type, unknown data.
const untyped = createSwitchboard({ auth: { anonymous: true } });
untyped.handle("anything", (_ctx, data) => data);
untyped.handle("echo", z.object({ text: z.string() }), (_ctx, data) => data.text);
void untyped.to("room").emit("whatever", 1);

// ---- Client -----------------------------------------------------------------------------

export async function client(): Promise<void> {
  const client = connect<AppEvents>("ws://localhost:8080/ws");
  client.on("match_found", (match, frame) => console.log(match.players.join(", "), frame.type));
  client.on("state", (state) => console.log(state));
  const { room } = await client.request("lobby:create", { name: "alpha" });
  const lobbies: string[] = await client.request("lobby:list");
  const joined: Room<{ text: string }, AppEvents["events"]> = await client.join<{ text: string }>(room);
  joined.on("event", (_type, _data, frame) => {
    if (frame.type === "score") console.log(frame.data.toFixed(), lobbies);
    else console.log(frame.data.matchId);
  });
  joined.on("message", (message, frame) => console.log(message.text, frame.offset ?? "volatile"));

  // @ts-expect-error: the listener expects the wrong data
  client.on("match_found", (match: { matchId: number }) => match);
  // @ts-expect-error: not a declared event
  client.on("match_lost", () => {});
  // @ts-expect-error: wrong payload
  void client.request("lobby:create", { name: 1 });
  // @ts-expect-error: the reply's room is a string
  void client.request("lobby:create", { name: "a" }).then((reply) => reply.room.toFixed());
  // @ts-expect-error: not a declared request
  void client.request("lobby:delete", {});
  joined.on("event", (type, _data, frame) => {
    // @ts-expect-error: a score is a number
    if (frame.type === "score") console.log(frame.data.matchId);
    // @ts-expect-error: not a declared event type
    if (type === "match_lost") console.log(type);
  });

  // The client of a typed map still fits code that takes any client, and the React hooks.
  const any: SwitchboardClient<object, object> = client;
  void any;
  const useLobby = () => useRoom<{ text: string }>(client, "lobby:alpha", { keep: 10 }).messages;
  void useLobby;

  // The earlier form, events and requests apart, keeps working.
  const legacy = connect<AppEvents["events"], AppEvents["requests"]>("ws://localhost:8080/ws");
  legacy.on("score", (score) => score.toFixed());
  // @ts-expect-error: wrong payload in the earlier form too
  void legacy.request("lobby:create", { name: false });

  // Untyped: any type, unknown data.
  const loose = connect("ws://localhost:8080/ws");
  loose.on("anything", (data) => data);
  void loose.request("anything", { at: "all" });
}

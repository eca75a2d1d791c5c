import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as v from "valibot";
import { z } from "zod";
import { SwitchboardError } from "switchboard";
import { connect } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

describe("typed handlers, routing and middleware", () => {
  let server: TestServer;
  const errors: unknown[] = [];
  before(async () => {
    server = await startTestServer();
    const { sb } = server;
    sb.on("error", (error) => errors.push(error));
    sb.handle("lobby:create", z.object({ name: z.string().min(1), size: z.number().int().max(8).default(4) }), async (ctx, data) => {
      const room = `lobby:${data.name}`;
      await ctx.join(room);
      return { room, size: data.size, by: ctx.connectionId };
    });
    sb.handle({ type: "chat", action: "send" }, v.object({ text: v.string() }), (_ctx, data) => ({ routed: "chat/send", text: data.text }));
    sb.handle("chat", (ctx) => ({ routed: "chat", action: ctx.action ?? null }));
    sb.handle("boom", () => {
      throw new Error("database password is hunter2");
    });
    sb.handle("denied", () => {
      throw new SwitchboardError("forbidden", "Only admins.");
    });
    sb.handle("early", (ctx) => {
      ctx.reply({ early: true });
      ctx.emit("side_event", { n: 1 });
      return { late: true };
    });
    sb.handle("counter", (ctx) => {
      ctx.state.count = ((ctx.state.count as number | undefined) ?? 0) + 1;
      return ctx.state.count;
    });
    sb.use(async (ctx, next) => {
      if (ctx.type === "blocked") throw new SwitchboardError("forbidden", "Blocked by middleware.");
      await next();
    });
    sb.handle("blocked", () => "never");
  });
  after(() => server.close());

  it("routes by type, validates with zod, and passes parsed data with defaults", async () => {
    const client = await connect(server.url);
    const data = await client.ok({ type: "lobby:create", data: { name: "alpha" } });
    assert.deepEqual(data, { room: "lobby:alpha", size: 4, by: client.connectionId });
    const presence = await client.ok({ type: "presence", room: "lobby:alpha" });
    assert.equal((presence.members as unknown[]).length, 1);
    await client.close();
  });

  it("answers invalid_payload with the schema issues as details", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "lobby:create", data: { name: "", size: 99 } });
    const error = reply.error as { code: string; details: Array<{ path: string[]; message: string }> };
    assert.equal(error.code, "invalid_payload");
    assert.deepEqual(error.details.map((issue) => issue.path.join(".")).sort(), ["name", "size"]);
    await client.close();
  });

  it("routes type+action to the exact handler and falls back to the type handler (valibot schema)", async () => {
    const client = await connect(server.url);
    assert.deepEqual(await client.ok({ type: "chat", action: "send", data: { text: "hey" } }), { routed: "chat/send", text: "hey" });
    assert.deepEqual(await client.ok({ type: "chat", action: "edit" }), { routed: "chat", action: "edit" });
    const invalid = await client.request({ type: "chat", action: "send", data: { text: 5 } });
    assert.equal((invalid.error as { code: string }).code, "invalid_payload");
    await client.close();
  });

  it("answers unknown_type for a type nobody handles", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "nobody:home" });
    assert.equal((reply.error as { code: string }).code, "unknown_type");
    await client.close();
  });

  it("answers internal without the message or stack of a thrown error, and reports it", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "boom" });
    const raw = JSON.stringify(reply);
    assert.equal((reply.error as { code: string }).code, "internal");
    assert.ok(!raw.includes("hunter2"));
    assert.ok(!raw.includes("at "));
    assert.ok(errors.some((error) => error instanceof Error && error.message.includes("hunter2")));
    await client.close();
  });

  it("passes a thrown SwitchboardError's code and message through", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "denied" });
    assert.deepEqual(reply.error, { code: "forbidden", message: "Only admins." });
    await client.close();
  });

  it("lets middleware reject a frame before its handler", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "blocked" });
    assert.deepEqual(reply.error, { code: "forbidden", message: "Blocked by middleware." });
    await client.close();
  });

  it("sends exactly one reply when a handler replies early, and emits to the caller", async () => {
    const client = await connect(server.url);
    const reply = await client.request({ type: "early" });
    assert.deepEqual(reply.data, { early: true });
    const side = await client.nextOfType("side_event");
    assert.deepEqual(side.data, { n: 1 });
    await client.expectNone((frame) => frame.type === "reply");
    await client.close();
  });

  it("keeps per-connection state across frames", async () => {
    const client = await connect(server.url);
    assert.equal(await client.ok({ type: "counter" }), 1);
    assert.equal(await client.ok({ type: "counter" }), 2);
    const other = await connect(server.url);
    assert.equal(await other.ok({ type: "counter" }), 1);
    await Promise.all([client.close(), other.close()]);
  });

  it("rejects registering built-in types, duplicates and non-Standard-Schema validators", () => {
    assert.throws(() => server.sb.handle("join", () => null), /built-in/);
    assert.throws(() => server.sb.handle("lobby:create", () => null), /already registered/);
    assert.throws(() => server.sb.handle("x", { parse: () => 1 } as never, () => null), /Standard Schema/);
  });
});

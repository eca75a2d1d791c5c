import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { SwitchboardError } from "switchboard";
import type { SwitchboardOptions } from "switchboard";
import { connect } from "./support/client.js";
import type { Frame, TestClient } from "./support/client.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";

/** The TCP socket under a ws client (ws keeps it as `_socket`). */
function tcpOf(client: TestClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Sends every frame in one TCP write: the socket is corked while ws frames them, so the server reads them all at once. */
function sendInOneWrite(client: TestClient, frames: Array<Record<string, unknown>>): void {
  const socket = tcpOf(client);
  socket.cork();
  for (const frame of frames) client.send(frame);
  socket.uncork();
}

async function replies(client: TestClient, ids: number[]): Promise<Frame[]> {
  return Promise.all(ids.map((id) => client.next((frame) => frame.type === "reply" && frame.id === id, 10_000)));
}

function codeOf(reply: Frame): string {
  return reply.ok === true ? "ok" : (reply.error as { code: string }).code;
}

function tally(codes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

/** A canJoin that answers on a later tick, so every join awaits between its checks and the room being added. */
const slowCanJoin: SwitchboardOptions["canJoin"] = () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5));

async function withServer(options: SwitchboardOptions, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

function connectionOf(server: TestServer, id: string): { rooms: ReadonlySet<string> } {
  for (const connection of server.sb.connections()) if (connection.id === id) return connection;
  throw new Error(`no connection ${id}`);
}

describe("admission: a burst in one TCP write cannot pass a cap", () => {
  it("120 join frames in one write join exactly 100 rooms under a cap of 100", async () => {
    await withServer({ canJoin: slowCanJoin, protection: { maxRoomsPerConnection: 100, joinsPerMinute: 0 } }, async (server) => {
      const client = await connect(server.url);
      const ids = Array.from({ length: 120 }, (_, index) => index + 1);
      sendInOneWrite(client, ids.map((id) => ({ type: "join", id, room: `burst:${id}` })));
      const codes = (await replies(client, ids)).map(codeOf);
      assert.deepEqual(tally(codes), { ok: 100, conflict: 20 });
      assert.equal(connectionOf(server, client.connectionId).rooms.size, 100);
      await client.close();
    });
  });

  it("120 join frames in one write take exactly the per-minute join budget", async () => {
    await withServer({ canJoin: slowCanJoin, protection: { maxRoomsPerConnection: 0, joinsPerMinute: 50 } }, async (server) => {
      const client = await connect(server.url);
      const ids = Array.from({ length: 120 }, (_, index) => index + 1);
      sendInOneWrite(client, ids.map((id) => ({ type: "join", id, room: `rate:${id}` })));
      const codes = (await replies(client, ids)).map(codeOf);
      assert.deepEqual(tally(codes), { ok: 50, rate_limited: 70 });
      assert.equal(connectionOf(server, client.connectionId).rooms.size, 50);
      await client.close();
    });
  });

  it("with multipleRooms false, five joins in one write leave the connection in exactly one room, the last", async () => {
    await withServer({ canJoin: slowCanJoin, multipleRooms: false }, async (server) => {
      const client = await connect(server.url);
      const ids = [1, 2, 3, 4, 5];
      sendInOneWrite(client, ids.map((id) => ({ type: "join", id, room: `single:${id}` })));
      const codes = (await replies(client, ids)).map(codeOf);
      assert.deepEqual(codes, ["ok", "ok", "ok", "ok", "ok"]);
      assert.deepEqual([...connectionOf(server, client.connectionId).rooms], ["single:5"]);
      await client.close();
    });
  });
});

describe("admission: handler joins (ctx.join) pass the same rules", () => {
  const options = (extra: SwitchboardOptions): SwitchboardOptions => ({
    rooms: [{ match: "closed:*", join: "nobody" }],
    ...extra,
  });
  const register = (server: TestServer): void => {
    server.sb.handle("enter", async (ctx) => {
      const { room, authorized } = ctx.frame.data as { room: string; authorized?: boolean };
      return ctx.join(room, { authorized: authorized === true });
    });
  };
  const enter = (client: TestClient, room: string, authorized = false): Promise<Frame> => client.request({ type: "enter", data: { room, authorized } });

  it("refuses a room whose policy refuses the connection, unless the handler says it authorized the join", async () => {
    await withServer(options({}), async (server) => {
      register(server);
      const client = await connect(server.url);
      assert.equal(codeOf(await enter(client, "closed:1")), "forbidden");
      assert.equal(codeOf(await enter(client, "closed:1", true)), "ok");
      assert.deepEqual([...connectionOf(server, client.connectionId).rooms], ["closed:1"]);
      await client.close();
    });
  });

  it("refuses a join over maxRoomsPerConnection, even when authorized", async () => {
    await withServer(options({ protection: { maxRoomsPerConnection: 2 } }), async (server) => {
      register(server);
      const client = await connect(server.url);
      assert.equal(codeOf(await enter(client, "h:1")), "ok");
      assert.equal(codeOf(await enter(client, "h:2")), "ok");
      assert.equal(codeOf(await enter(client, "h:3")), "conflict");
      assert.equal(codeOf(await enter(client, "closed:9", true)), "conflict");
      await client.close();
    });
  });

  it("refuses joins over joinsPerMinute", async () => {
    await withServer(options({ protection: { joinsPerMinute: 3 } }), async (server) => {
      register(server);
      const client = await connect(server.url);
      const codes = [];
      for (const room of ["r:1", "r:2", "r:3", "r:4"]) codes.push(codeOf(await enter(client, room)));
      assert.deepEqual(codes, ["ok", "ok", "ok", "rate_limited"]);
      await client.close();
    });
  });

  it("with multipleRooms false, a handler join leaves the previous room", async () => {
    await withServer(options({ multipleRooms: false }), async (server) => {
      register(server);
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "m:1" });
      assert.equal(codeOf(await enter(client, "m:2")), "ok");
      assert.deepEqual([...connectionOf(server, client.connectionId).rooms], ["m:2"]);
      await client.close();
    });
  });

  it("a burst of handler joins in one write cannot pass the rooms cap", async () => {
    await withServer(options({ canJoin: slowCanJoin, protection: { maxRoomsPerConnection: 10, joinsPerMinute: 0 } }), async (server) => {
      register(server);
      const client = await connect(server.url);
      const ids = Array.from({ length: 30 }, (_, index) => index + 1);
      sendInOneWrite(client, ids.map((id) => ({ type: "enter", id, data: { room: `hb:${id}` } })));
      assert.deepEqual(tally((await replies(client, ids)).map(codeOf)), { ok: 10, conflict: 20 });
      assert.equal(connectionOf(server, client.connectionId).rooms.size, 10);
      await client.close();
    });
  });
});

describe("admission: server code (sb.joinConnection) passes the same rules", () => {
  async function refusal(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return "ok";
    } catch (error) {
      assert.ok(error instanceof SwitchboardError, String(error));
      return error.code;
    }
  }

  it("applies the room policy, the rooms cap, the join rate and multipleRooms", async () => {
    await withServer({ rooms: [{ match: "closed:*", join: "nobody" }], protection: { maxRoomsPerConnection: 2, joinsPerMinute: 4 } }, async (server) => {
      const client = await connect(server.url);
      const id = client.connectionId;
      assert.equal(await refusal(server.sb.joinConnection(id, "closed:1")), "forbidden");
      assert.equal(await refusal(server.sb.joinConnection(id, "closed:1", { authorized: true })), "ok");
      assert.equal(await refusal(server.sb.joinConnection(id, "s:1")), "ok");
      assert.equal(await refusal(server.sb.joinConnection(id, "s:2")), "conflict");
      await client.ok({ type: "leave", room: "s:1" });
      assert.equal(await refusal(server.sb.joinConnection(id, "s:2")), "ok");
      await client.ok({ type: "leave", room: "s:2" });
      // Four joins were charged (the one the policy refused too; the one over the cap was not): the fifth is over the rate.
      assert.equal(await refusal(server.sb.joinConnection(id, "s:3")), "rate_limited");
      await client.close();
    });
    await withServer({ multipleRooms: false }, async (server) => {
      const client = await connect(server.url);
      await server.sb.joinConnection(client.connectionId, "one");
      await server.sb.joinConnection(client.connectionId, "two");
      assert.deepEqual([...connectionOf(server, client.connectionId).rooms], ["two"]);
      await client.close();
    });
  });
});

describe("admission: publications", () => {
  it("a client is held to the publish rule, server code is not", async () => {
    await withServer({ rooms: [{ match: "announcements", publish: "nobody" }] }, async (server) => {
      const client = await connect(server.url);
      await client.ok({ type: "join", room: "announcements" });
      assert.equal(codeOf(await client.request({ type: "publish", room: "announcements", data: { text: "hi" } })), "forbidden");
      const result = await server.sb.publish("announcements", { text: "from the server" });
      assert.equal(result.offset, 1);
      const message = await client.nextOfType("message");
      assert.deepEqual(message.data, { text: "from the server" });
      await assert.rejects(server.sb.publish("bad room", {}), (error: unknown) => error instanceof SwitchboardError && error.code === "bad_request");
      await client.close();
    });
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ApiServer } from "../support/api-server.js";
import { freePort } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { waitFor } from "../support/wait.js";
import type { Pusher, PusherClientOptions } from "./support.js";
import { nextEvent, pusherClient, serverSdk, startPusherServer, subscribed } from "./support.js";

describe("pusher-js across two nodes on Redis", () => {
  let redis: PrivateRedis;
  let nodes: ApiServer[];
  const ports: number[] = [];
  const clients: Pusher[] = [];
  const client = (node: ApiServer, options?: PusherClientOptions): Pusher => {
    const created = pusherClient(node, options);
    clients.push(created);
    return created;
  };
  const startNode = (index: number): Promise<ApiServer> =>
    startPusherServer({ SWITCHBOARD_REDIS_URL: redis.url, SWITCHBOARD_NODE_ID: `pusher-node-${index + 1}`, SWITCHBOARD_PORT: String(ports[index]) });

  before(async () => {
    redis = await startRedisServer();
    ports.push(await freePort(), await freePort());
    nodes = [await startNode(0), await startNode(1)];
  });
  after(async () => {
    for (const created of clients) created.disconnect();
    await Promise.all(nodes.map((node) => node.close()));
    await redis.stop();
  });

  it("delivers a public channel's events from either node to subscribers on both", async () => {
    const [a, b] = [client(nodes[0]!), client(nodes[1]!)];
    const [{ channel: onA }, { channel: onB }] = await Promise.all([subscribed(a, "scores"), subscribed(b, "scores")]);
    const both = Promise.all([nextEvent(onA, "goal"), nextEvent(onB, "goal")]);
    await serverSdk(nodes[1]!).trigger("scores", "goal", { team: "home" });
    assert.deepEqual(await both, [{ team: "home" }, { team: "home" }]);
  });

  it("relays client events on a private channel between nodes", async () => {
    const [a, b] = [client(nodes[0]!), client(nodes[1]!)];
    await subscribed(a, "private-room");
    const { channel: onB } = await subscribed(b, "private-room");
    const received = nextEvent(onB, "client-move");
    a.channel("private-room")!.trigger("client-move", { x: 3 });
    assert.deepEqual(await received, { x: 3 });
  });

  it("shares presence across nodes: members, additions and removals", async () => {
    const ann = client(nodes[0]!, { user: { id: "ann", info: { seat: 1 } } });
    const { channel } = await subscribed(ann, "presence-table");
    const added = nextEvent<{ id: string; info: unknown }>(channel, "pusher:member_added");
    const ben = client(nodes[1]!, { user: { id: "ben", info: { seat: 2 } } });
    const { data } = await subscribed(ben, "presence-table");
    assert.deepEqual((data as { members: unknown }).members, { ann: { seat: 1 }, ben: { seat: 2 } });
    assert.deepEqual(await added, { id: "ben", info: { seat: 2 } });
    const users = (await (await serverSdk(nodes[1]!).get({ path: "/channels/presence-table/users" })).json()) as { users: Array<{ id: string }> };
    assert.deepEqual(users.users.map((user) => user.id).sort(), ["ann", "ben"]);
    const removed = nextEvent<{ id: string }>(channel, "pusher:member_removed");
    ben.disconnect();
    assert.equal((await removed).id, "ben");
  });

  it("reconnects and resubscribes after its node restarts", async () => {
    const watcher = client(nodes[0]!);
    const { channel } = await subscribed(watcher, "restart-news");
    const firstSocket = watcher.connection.socket_id;
    const resubscribed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no resubscription within 30 s")), 30_000);
      channel.bind("pusher:subscription_succeeded", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await nodes[0]!.close();
    nodes[0] = await startNode(0);
    await resubscribed;
    await waitFor(() => watcher.connection.state === "connected", "pusher-js to reconnect", 20_000);
    assert.notEqual(watcher.connection.socket_id, firstSocket);
    const after = nextEvent(channel, "update");
    await serverSdk(nodes[1]!).trigger("restart-news", "update", { back: true });
    assert.deepEqual(await after, { back: true });
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import { runCli, startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";

describe("switchboard start --workers", () => {
  let redis: PrivateRedis;
  let server: ServerProcess;
  const clients: TestClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    server = await startServerProcess({ REDIS_URL: redis.url, SWITCHBOARD_AUTH: "anonymous", SWITCHBOARD_WORKERS: "2", SWITCHBOARD_NODE_ID: "box" });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.stop();
    await redis.stop();
  });

  it("refuses to start workers on the in-memory broker and says why", async () => {
    const result = await runCli(["start", "--workers", "2"], { SWITCHBOARD_PORT: "0", REDIS_URL: "", SWITCHBOARD_REDIS_URL: "" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--workers 2 needs a shared broker: set REDIS_URL/);
  });

  it("spreads connections over worker nodes that act as one", async () => {
    const seen = new Set<string>();
    // Each attempt opens one connection; the primary hands them out round-robin. Bounded.
    for (let attempt = 0; attempt < 20 && seen.size < 2; attempt++) {
      const client = await connect(server.url);
      clients.push(client);
      seen.add((client.welcome!.data as { node: string }).node);
    }
    assert.deepEqual([...seen].sort(), ["box-1", "box-2"]);
    const byNode = new Map(clients.map((client) => [(client.welcome!.data as { node: string }).node, client]));
    const [one, two] = [byNode.get("box-1")!, byNode.get("box-2")!];
    await one.ok({ type: "join", room: "room:w" });
    await two.ok({ type: "join", room: "room:w" });
    await one.ok({ type: "publish", room: "room:w", data: "across workers" });
    assert.equal((await two.nextOfType("message")).data, "across workers");
  });

  it("stops every worker on SIGTERM, closing clients with 1001", async () => {
    const client = clients[0]!;
    const [code, closed] = await Promise.all([server.stop("SIGTERM"), client.closed]);
    assert.equal(code, 0);
    assert.equal(closed.code, 1001);
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startRedisServer } from "./redis-server.js";
import type { PrivateRedis } from "./redis-server.js";

const run = promisify(execFile);

export interface PrivateRedisCluster {
  /** One node's URL; clients discover the others. */
  url: string;
  servers: PrivateRedis[];
  stop(): Promise<void>;
}

/** A private Redis Cluster of `masters` redis-server processes (no replicas), slots spread evenly. */
export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const directory = mkdtempSync(join(tmpdir(), "switchboard-cluster-"));
  const servers: PrivateRedis[] = [];
  try {
    for (let index = 0; index < masters; index++) {
      servers.push(await startRedisServer(["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${index}.conf`, "--dir", directory]));
    }
    await run("redis-cli", ["--cluster", "create", ...servers.map((server) => `127.0.0.1:${server.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 20_000 });
    // Bounded wait until every node agrees the cluster is up.
    for (let attempt = 0; ; attempt++) {
      const states = await Promise.all(servers.map((server) => run("redis-cli", ["-p", String(server.port), "cluster", "info"]).then(({ stdout }) => stdout)));
      if (states.every((state) => state.includes("cluster_state:ok"))) break;
      if (attempt > 200) throw new Error("the Redis Cluster did not reach cluster_state:ok");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: servers[0]!.url,
    servers,
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

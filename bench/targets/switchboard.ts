import { pino } from "pino";
import type * as SwitchboardModule from "../../src/index.js";
import { BENCH_PUSHER_APP } from "../client/protocols.js";
import type { SwitchboardOptions } from "../../src/index.js";
import type { RunningTarget, ServerConfig } from "./target.js";

/**
 * Switchboard as a user would run it, with the protection limits that would
 * refuse a load generator (frame and connection rates, per-user caps) turned
 * off; the slow-consumer bound stays on (raised) so its cost is measured.
 * Bench rooms track no presence: the other targets have none to pay for.
 */
export async function startSwitchboard(config: ServerConfig): Promise<RunningTarget> {
  // `npm run bench -- --dist` (SWITCHBOARD_BENCH_DIST=1) loads the compiled package, as users run it; otherwise src/ through tsx.
  const { attachPusher, createRedisBackends, createSwitchboard }: typeof SwitchboardModule =
    process.env.SWITCHBOARD_BENCH_DIST === "1" ? await import("../../dist/index.js" as string) : await import("../../src/index.js");
  const options: SwitchboardOptions = {
    auth: config.jwtSecret === undefined ? { anonymous: true } : { jwt: { secret: config.jwtSecret } },
    logger: pino({ level: "warn" }),
    heartbeatMs: 120_000,
    rooms: [{ match: "bench:*", presence: false }],
    protection: {
      frameRate: { perSecond: 0, burst: 1 },
      ipConnectionRate: { perSecond: 0, burst: 1 },
      maxConnections: 0,
      maxConnectionsPerUser: 0,
      joinsPerMinute: 0,
      ...(config.defaultSlowConsumers === true ? {} : { maxBufferedBytes: 64 * 1024 * 1024 }),
      // The slow-loris deadline is not under test: a join storm's upgrades may queue longer than 10 s on a loaded core.
      headersTimeoutMs: 120_000,
      requestTimeoutMs: 120_000,
    },
  };
  // A shorter Redis command timeout (SWITCHBOARD_BENCH_REDIS_COMMAND_TIMEOUT_MS) makes a small run show what a timeout that measures the node's own lag would refuse.
  const commandTimeoutMs = Number(process.env.SWITCHBOARD_BENCH_REDIS_COMMAND_TIMEOUT_MS) || undefined;
  if (config.redisUrl !== undefined) {
    Object.assign(options, createRedisBackends(config.redisUrl, { nodeId: config.nodeId ?? "bench-node", ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) }), { nodeId: config.nodeId });
  }
  const sb = createSwitchboard(options);
  // The same node also speaks the Pusher protocol (the fan-out scenario's "switchboard (pusher)" column).
  attachPusher(sb, { apps: [BENCH_PUSHER_APP] });
  const address = await sb.listen(0, "127.0.0.1");
  return { port: address.port, close: () => sb.close() };
}

import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { ConfigError } from "../config/server-config.js";
import type { ServerConfig } from "../config/server-config.js";
import { createLogger } from "../log/logger.js";
import { prettyLogs } from "../log/log-format.js";

/** A worker that dies this many times within RESTART_WINDOW_MS stops the whole server: it would only crash-loop. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 30_000;

/** Why `--workers` needs Redis, said once, where the user sees it. */
export function assertWorkersAllowed(config: ServerConfig, workers: number): void {
  if (workers > 1 && config.redisUrl === undefined) {
    throw new ConfigError(
      `--workers ${workers} needs a shared broker: set REDIS_URL (or SWITCHBOARD_REDIS_URL, config file: redisUrl). ` +
        "With the in-memory broker each worker would be an island: a publish, presence and history would only reach the connections of the worker that handled them.",
    );
  }
}

/**
 * Runs `count` Switchboard workers on one port with node:cluster. Each worker is
 * a full node with its own id (`<node id>-<n>`), coordinated through Redis like
 * separate machines. The primary restarts a worker that dies, forwards SIGTERM
 * and SIGINT (SIGHUP stops them like SIGTERM), and exits once every worker has closed.
 */
export function startWorkers(config: ServerConfig, count: number): void {
  assertWorkersAllowed(config, count);
  const logger = createLogger(config.logLevel, { pretty: prettyLogs() }).child({ role: "primary" });
  const base = config.nodeId ?? `node-${randomBytes(3).toString("hex")}`;
  const slots = new Map<Worker, number>();
  const restarts: number[] = [];
  let stopping = false;
  let exitCode = 0;

  const fork = (slot: number): void => {
    const worker = cluster.fork({ SWITCHBOARD_NODE_ID: `${base}-${slot}` });
    slots.set(worker, slot);
  };

  cluster.on("exit", (worker, code, signal) => {
    const slot = slots.get(worker);
    slots.delete(worker);
    if (stopping) {
      if (slots.size === 0) {
        logger.info("all workers stopped");
        process.exit(exitCode);
      }
      return;
    }
    if (slot === undefined) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      logger.error({ code, signal }, `workers keep dying (${restarts.length} in ${RESTART_WINDOW_MS / 1000} s); stopping`);
      stopAll("SIGTERM", 1);
      return;
    }
    logger.warn({ worker: `${base}-${slot}`, code, signal }, "worker died; starting a replacement");
    fork(slot);
  });

  const stopAll = (signal: NodeJS.Signals, code = 0): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ signal }, "stopping workers");
    if (slots.size === 0) process.exit(exitCode);
    for (const worker of slots.keys()) worker.process.kill(signal);
    const force = setTimeout(() => {
      logger.error("workers did not stop in time; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
  };
  process.on("SIGTERM", () => stopAll("SIGTERM"));
  process.on("SIGINT", () => stopAll("SIGINT"));
  process.on("SIGHUP", () => stopAll("SIGTERM"));

  logger.info({ workers: count, broker: config.redisSharded ? "redis-sharded" : "redis" }, `starting ${count} Switchboard workers`);
  for (let slot = 1; slot <= count; slot++) fork(slot);
}

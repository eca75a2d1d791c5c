import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { startServer, startClients, stopAll } from "./harness.js";
import type { ServerUnderTest } from "./harness.js";
import { SCENARIOS } from "./options.js";
import type { BenchOptions, ScenarioName } from "./options.js";
import { pinning } from "./processes.js";
import { Progress } from "./progress.js";
import { connect } from "./scenarios/connect.js";
import { FEED_MODES, feed } from "./scenarios/feed.js";
import type { FeedMode } from "./scenarios/feed.js";
import { fanout } from "./scenarios/fanout.js";
import { idle } from "./scenarios/idle.js";
import { joinStorm } from "./scenarios/join-storm.js";
import type { StormPlan } from "./scenarios/join-storm.js";
import { latency } from "./scenarios/latency.js";
import { deploy } from "./scenarios/deploy.js";
import { redis } from "./scenarios/redis.js";
import { slowConsumers } from "./scenarios/slow-consumers.js";
import type { Figures, Scenario, ScenarioContext, Variant } from "./scenarios/types.js";
import { JWT_SECRET } from "./harness.js";
import type { TargetName } from "./targets/target.js";

export interface BenchResult {
  command: string;
  date: string;
  machine: { nproc: number; node: string; cpu: string; pinned: boolean; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  size: string;
  sizes: BenchOptions["sizes"];
  results: Record<string, Record<string, Figures>>;
}

const SCENARIO_RUNS: Record<Exclude<ScenarioName, "redis" | "join-storm" | "feed" | "slow-consumers" | "deploy">, Scenario> = { fanout, latency, idle, connect };

/** A join storm's column: target and room size (and workers on Redis for the large one). */
function stormColumn(plan: StormPlan): string {
  const size = plan.members.toLocaleString("en-US");
  return plan.workers === undefined ? `${plan.target} · ${size}` : `${plan.target} · ${size} (${plan.workers} worker${plan.workers === 1 ? "" : "s"} on Redis)`;
}

/**
 * Server processes by settings, reused across the scenarios that load the same
 * target with the same settings (starting one costs seconds on a busy machine).
 * All of a run's server processes start together at the beginning; scenarios
 * run in a fixed order so that idle (which measures memory growth) is the
 * first to load its server.
 */
const warm = new Map<string, Promise<ServerUnderTest>>();

function localVariant(target: TargetName, encoding?: "msgpack" | "pusher"): Variant {
  return {
    name: encoding === undefined ? target : `switchboard (${encoding})`,
    protocol: encoding === "msgpack" ? "switchboard-msgpack" : encoding === "pusher" ? "pusher" : target,
    start: (jwt) => {
      const config = { target, ...(jwt ? { jwtSecret: JWT_SECRET } : {}) };
      const key = JSON.stringify(config);
      let server = warm.get(key);
      if (server === undefined) warm.set(key, (server = startServer(config).then((started) => ({ ...started, shared: true }))));
      return server;
    },
  };
}

function externalVariant(url: string, msgpack: boolean): Variant {
  // Scenarios address Switchboard at `${base}/ws`.
  const base = url.replace(/\/ws\/?$/, "").replace(/\/$/, "");
  const server: ServerUnderTest = { rpc: undefined, base };
  const secret = process.env.SWITCHBOARD_JWT_SECRET;
  return {
    name: msgpack ? "switchboard (msgpack)" : "switchboard",
    protocol: msgpack ? "switchboard-msgpack" : "switchboard",
    start: () => Promise.resolve(server),
    ...(secret === undefined || secret === "" ? {} : { clientJwtSecret: secret }),
  };
}

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Runs every chosen scenario against every chosen target, each run with fresh server and generator processes. */
export async function runBench(options: BenchOptions, command: string): Promise<BenchResult> {
  const plan: Array<{ scenario: ScenarioName; variant: Variant | number | StormPlan | FeedMode | "switchboard" }> = [];
  for (const scenario of SCENARIOS.filter((name) => options.scenarios.includes(name))) {
    if (scenario === "deploy") {
      // Its own processes (3 nodes, an observer node, a private redis-server) and in-process SDK clients.
      if (options.url === undefined && options.targets.includes("switchboard")) plan.push({ scenario, variant: 3 });
      continue;
    }
    if (scenario === "feed") {
      // Its own PostgreSQL and Switchboard node per mode; not against an external server.
      if (options.url === undefined && options.targets.includes("switchboard")) for (const mode of FEED_MODES) plan.push({ scenario, variant: mode });
      continue;
    }
    if (scenario === "join-storm") {
      if (options.url !== undefined) continue;
      const ordered = [...options.targets].sort((a, b) => Number(b === "ws") - Number(a === "ws"));
      const sizes = options.sizes.joinStorm.members;
      for (const members of sizes) for (const target of ordered) plan.push({ scenario, variant: { target, members } });
      if (!options.targets.includes("switchboard")) continue;
      // The smallest room again through Redis on one worker: what crossing Redis costs, apart from splitting a room over processes.
      plan.push({ scenario, variant: { target: "switchboard", members: sizes[0]!, workers: 1 } });
      const { large } = options.sizes.joinStorm;
      if (options.large) plan.push({ scenario, variant: { target: "switchboard", members: large.members, workers: options.workers ?? large.workers, generators: large.generators } });
      continue;
    }
    if (scenario === "slow-consumers") {
      // Switchboard's own slow-consumer policy under load; it starts its own server and generator.
      if (options.url === undefined && options.targets.includes("switchboard")) plan.push({ scenario, variant: "switchboard" });
      continue;
    }
    if (scenario === "redis") {
      if (options.url === undefined && options.targets.includes("switchboard")) plan.push({ scenario, variant: 1 }, { scenario, variant: 2 });
      continue;
    }
    if (options.url !== undefined) {
      if (scenario === "fanout" || scenario === "latency") plan.push({ scenario, variant: externalVariant(options.url, false) });
      if (scenario === "fanout") plan.push({ scenario, variant: externalVariant(options.url, true) });
      continue;
    }
    // The baseline first, so a partial run still has it.
    const ordered = [...options.targets].sort((a, b) => Number(b === "ws") - Number(a === "ws"));
    for (const target of ordered) {
      plan.push({ scenario, variant: localVariant(target) });
      if (scenario === "fanout" && target === "switchboard") plan.push({ scenario, variant: localVariant(target, "msgpack" as const) }, { scenario, variant: localVariant(target, "pusher" as const) });
    }
  }
  if (options.url === undefined) {
    for (const target of options.targets) {
      const plain = options.scenarios.includes("fanout") || options.scenarios.includes("latency");
      const jwt = options.scenarios.includes("idle") || options.scenarios.includes("connect");
      // Started together; failures surface in the scenario that needs the server.
      if (plain) void localVariant(target).start(false).catch(() => undefined);
      if (jwt) void localVariant(target).start(true).catch(() => undefined);
    }
    // Nothing is measured while servers are still starting on the server core.
    await Promise.allSettled(warm.values());
  }
  const loadAverageAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  const progress = new Progress(plan.length);
  const results: Record<string, Record<string, Figures>> = {};
  // Generator processes live for the whole run; each scenario run closes its connections.
  let clients = startClients(options.clients);
  for (const { scenario, variant } of plan) {
    const column = typeof variant === "number" ? `${variant} node${variant === 1 ? "" : "s"}` : typeof variant === "string" ? variant : "members" in variant ? stormColumn(variant) : variant.name;
    const context: ScenarioContext = { sizes: options.sizes, clientProcesses: options.clients, progress: (detail) => progress.show(`${scenario} · ${column} · ${detail}`) };
    context.progress("starting");
    let figures: Figures;
    try {
      if (scenario === "deploy") figures = await deploy(context);
      else if (scenario === "slow-consumers") figures = await slowConsumers(context, clients);
      else if (typeof variant === "number") figures = await redis(context, variant, clients);
      else if (typeof variant === "string") figures = await feed(context, variant as FeedMode);
      else if ("members" in variant) figures = await joinStorm(context, variant, clients);
      else figures = await SCENARIO_RUNS[scenario as keyof typeof SCENARIO_RUNS](context, variant, clients);
      await Promise.all(clients.map((client) => client.call("close")));
    } catch (error) {
      figures = { error: error instanceof Error ? error.message : String(error) };
      // A failed run may leave a generator wedged: replace them all.
      await stopAll([], clients);
      clients = startClients(options.clients);
    }
    (results[scenario] ??= {})[column] = figures;
    progress.step(`${scenario} · ${column} · done`);
  }
  progress.finish();
  await stopAll([], clients);
  const servers = await Promise.allSettled(warm.values());
  await stopAll(servers.flatMap((settled) => (settled.status === "fulfilled" ? [{ ...settled.value, shared: false }] : [])), []);
  warm.clear();
  return {
    command,
    date: new Date().toISOString(),
    machine: { nproc: availableParallelism(), node: process.version, cpu: cpuModel(), pinned: pinning.available, loadAverageAtStart, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
    size: options.size,
    sizes: options.sizes,
    results,
  };
}

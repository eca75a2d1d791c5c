import { parseArgs } from "node:util";
import { TARGETS } from "./targets/target.js";
import type { TargetName } from "./targets/target.js";

export const SCENARIOS = ["fanout", "latency", "idle", "connect", "redis", "join-storm", "feed", "slow-consumers", "deploy"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** Scenarios that run only when named with --scenario (they take minutes at full size). */
export const OPT_IN_SCENARIOS: readonly ScenarioName[] = ["join-storm", "feed", "slow-consumers", "deploy"];

/** How big each scenario is; every count and duration here bounds a loop. */
export interface Sizes {
  fanout: { members: number; messages: number; window: number };
  latency: { connections: number; rooms: number; perSecond: number; durationMs: number };
  idle: { connections: number; roomSize: number };
  connect: { connections: number; concurrency: number };
  redis: { rooms: number; members: number; messagesPerRoom: number; window: number };
  deploy: { publishers: number; subscribers: number; intervalMs: number; dwellMs: number };
  /**
   * Room sizes of the join storm; `large` (with --large) adds one room across server workers on Redis.
   * `window`: publications in flight in the fan-out to the built room, the same at every size.
   */
  joinStorm: { members: number[]; window: number; large: { members: number; workers: number; generators: number } };
  /** PostgreSQL change feed, each mode: single-row commits per second, for how long, over how many rooms. */
  feed: { perSecond: number; durationMs: number; rooms: number };
  /** Clients that never read beside clients that do, in one room at a fixed publication rate. */
  slowConsumers: { readers: number; stalled: number; perSecond: number; durationMs: number; padBytes: number };
}

export const SIZES: Record<"full" | "quick" | "smoke", Sizes> = {
  full: {
    fanout: { members: 1_000, messages: 2_000, window: 64 },
    latency: { connections: 5_000, rooms: 500, perSecond: 2_000, durationMs: 10_000 },
    idle: { connections: 10_000, roomSize: 10 },
    connect: { connections: 5_000, concurrency: 50 },
    redis: { rooms: 100, members: 10, messagesPerRoom: 300, window: 4 },
    // 100,000 over 7 workers and 7 generators: each process stays under a 20,000 open-file limit.
    joinStorm: { members: [1_000, 10_000], window: 16, large: { members: 100_000, workers: 7, generators: 7 } },
    feed: { perSecond: 1_000, durationMs: 10_000, rooms: 50 },
    // Long enough for the stalled clients to pass 1 MiB and for the 5 s grace to end under traffic.
    slowConsumers: { readers: 500, stalled: 100, perSecond: 50, durationMs: 40_000, padBytes: 4_000 },
    deploy: { publishers: 10, subscribers: 20, intervalMs: 20, dwellMs: 2_000 },
  },
  quick: {
    fanout: { members: 300, messages: 300, window: 32 },
    latency: { connections: 500, rooms: 50, perSecond: 500, durationMs: 2_000 },
    idle: { connections: 1_000, roomSize: 10 },
    connect: { connections: 500, concurrency: 25 },
    redis: { rooms: 20, members: 10, messagesPerRoom: 100, window: 4 },
    joinStorm: { members: [1_000], window: 16, large: { members: 10_000, workers: 2, generators: 2 } },
    feed: { perSecond: 1_000, durationMs: 2_000, rooms: 20 },
    slowConsumers: { readers: 200, stalled: 40, perSecond: 50, durationMs: 20_000, padBytes: 4_000 },
    deploy: { publishers: 5, subscribers: 5, intervalMs: 25, dwellMs: 1_000 },
  },
  smoke: {
    fanout: { members: 20, messages: 20, window: 4 },
    latency: { connections: 20, rooms: 4, perSecond: 100, durationMs: 400 },
    idle: { connections: 20, roomSize: 10 },
    connect: { connections: 20, concurrency: 10 },
    redis: { rooms: 4, members: 5, messagesPerRoom: 10, window: 2 },
    joinStorm: { members: [20], window: 4, large: { members: 40, workers: 2, generators: 2 } },
    feed: { perSecond: 200, durationMs: 500, rooms: 4 },
    slowConsumers: { readers: 10, stalled: 2, perSecond: 20, durationMs: 1_000, padBytes: 1_000 },
    deploy: { publishers: 2, subscribers: 2, intervalMs: 50, dwellMs: 300 },
  },
};

export interface BenchOptions {
  size: "full" | "quick" | "smoke";
  sizes: Sizes;
  json: string | undefined;
  scenarios: ScenarioName[];
  targets: TargetName[];
  /** Load-generator processes. */
  clients: number;
  /** An already running server to load (the `switchboard bench` command); no server is started. */
  url: string | undefined;
  /** join-storm also builds its large room across server workers on Redis. */
  large: boolean;
  /** Server workers of the large room instead of the size's own (the same room over fewer or more processes). */
  workers: number | undefined;
  /** Run Switchboard's server from dist/ (what `npm start` and users run) instead of src/ through tsx. */
  dist: boolean;
  /** How many times the whole plan runs (targets interleaved); figures are then medians. */
  runs: number;
}

export const USAGE = `Usage: npm run bench -- [--quick | --smoke] [--json file] [--scenario name]... [--target name]... [--clients N] [--large [--workers N]] [--dist]

Scenarios: ${SCENARIOS.join(", ")} (default: all but ${OPT_IN_SCENARIOS.join(", ")}, which run only when named)
Targets:   ${TARGETS.join(", ")} (default: all; redis runs Switchboard only)
--quick    small sizes, the whole run in under two minutes
--smoke    tiny sizes (20 connections), for the test suite
--json     also write the raw figures to this file
--clients  load-generator processes (default 2)
--large    join-storm: also a room of 100,000 across 7 server workers on Redis (7 generators, 127.0.0.x source addresses)
--workers  with --large: that room over N server workers instead (1 to 16; each worker's share must fit its open-file limit)
--dist     run Switchboard's server from dist/ (built first when stale), as users run it, not src/ through tsx
--runs     run everything N times, targets interleaved, and print each figure's median (and every run's value)`;

export function parseBenchArgs(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      smoke: { type: "boolean" },
      json: { type: "string" },
      scenario: { type: "string", multiple: true },
      target: { type: "string", multiple: true },
      clients: { type: "string" },
      url: { type: "string" },
      large: { type: "boolean" },
      workers: { type: "string" },
      dist: { type: "boolean" },
      runs: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help === true) return "help";
  const size = values.smoke === true ? "smoke" : values.quick === true ? "quick" : "full";
  const scenarios = (values.scenario ?? SCENARIOS.filter((name) => !OPT_IN_SCENARIOS.includes(name))).flatMap((value) => value.split(","));
  for (const name of scenarios) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--scenario: unknown scenario "${name}" (one of ${SCENARIOS.join(", ")})`);
  const targets = (values.target ?? [...TARGETS]).flatMap((value) => value.split(","));
  for (const name of targets) if (!(TARGETS as readonly string[]).includes(name)) throw new Error(`--target: unknown target "${name}" (one of ${TARGETS.join(", ")})`);
  const clients = values.clients === undefined ? 2 : Number(values.clients);
  if (!Number.isInteger(clients) || clients < 1 || clients > 16) throw new Error("--clients must be an integer from 1 to 16");
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 16)) throw new Error("--workers must be an integer from 1 to 16");
  if (workers !== undefined && values.large !== true) throw new Error("--workers applies to the --large room only: add --large");
  const runs = values.runs === undefined ? 1 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error("--runs must be an integer from 1 to 20");
  return {
    size,
    sizes: SIZES[size],
    json: values.json,
    scenarios: scenarios as ScenarioName[],
    targets: targets as TargetName[],
    clients,
    url: values.url,
    large: values.large === true,
    workers,
    dist: values.dist === true,
    runs,
  };
}

import { connect as connectClient } from "../../src/client/index.js";
import type { SwitchboardClient } from "../../src/client/index.js";
import type { Room } from "../../src/client/room.js";
import { connect } from "../../test/support/client.js";
import type { TestClient } from "../../test/support/client.js";
import { PresenceTally } from "../../test/support/presence-tally.js";
import { startServerProcess } from "../../test/support/process.js";
import type { ServerProcess } from "../../test/support/process.js";
import { startRedisServer } from "../../test/support/redis-server.js";
import { startTcpBalancer } from "../../test/support/tcp-balancer.js";
import { SignJWT } from "jose";
import type { Figures, ScenarioContext } from "./types.js";

export interface DeploySettings {
  /** Node processes behind the balancer, each restarted once in turn. */
  nodes: number;
  publishers: number;
  subscribers: number;
  /** Pause between one publisher's publications. */
  intervalMs: number;
  /** Traffic between one node's return and the next node's SIGTERM. */
  dwellMs: number;
  /** How each node is stopped: SIGTERM (a deploy, the default) or SIGKILL (a crash). */
  signal?: "SIGTERM" | "SIGKILL";
  /** How many of the nodes are restarted, in order. Default all. */
  restart?: number;
}

export interface RestartTiming {
  node: string;
  /** Signal to exit: for SIGTERM the drain (clients closed, leaves announced, stores closed). */
  drainMs: number;
  /** Signal to the replacement listening. */
  restartMs: number;
}

export interface DeployReport {
  /** Publications attempted, and those acknowledged to their sender. */
  published: number;
  acknowledged: number;
  /** Acknowledged publications some subscriber never got, over all subscribers. */
  lost: number;
  /** Publications some subscriber got more than once, and out of their sender's order. */
  duplicated: number;
  outOfOrder: number;
  /** Messages replayed to subscribers by `since` recoveries, and recoveries that could not fill the gap. */
  recovered: number;
  resets: number;
  /** Presence at the end: connections beyond one per user, users missing, users whose meta was not restored. */
  ghosts: number;
  missing: number;
  metaLost: number;
  /** Connections seen joining that are gone without a `leave` announced to the watcher. */
  unannouncedLeaves: number;
  restarts: RestartTiming[];
}

/** The counts of a deploy that must be exactly zero: what the bench prints and the rolling-deploy test asserts. */
export type DeployFailureCounts = Pick<DeployReport, "lost" | "duplicated" | "outOfOrder" | "resets" | "ghosts" | "missing" | "metaLost" | "unannouncedLeaves">;

export function failureCounts(report: DeployReport): DeployFailureCounts {
  const { lost, duplicated, outOfOrder, resets, ghosts, missing, metaLost, unannouncedLeaves } = report;
  return { lost, duplicated, outOfOrder, resets, ghosts, missing, metaLost, unannouncedLeaves };
}

const ROOM = "deploy:room";
const SECRET = "switchboard-deploy-secret-0123456789";
const QUIET_ENV = {
  // Every client comes from 127.0.0.1 through the balancer: the per-IP upgrade rate is not under test.
  SWITCHBOARD_IP_CONNECTIONS_PER_SECOND: "0",
};

function token(user: string): Promise<string> {
  return new SignJWT({ sub: user }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(SECRET));
}

interface Publisher {
  user: string;
  client: SwitchboardClient;
  room: Room<{ from: string; seq: number }>;
  attempted: number;
  acked: Set<number>;
}

interface Subscriber {
  user: string;
  client: SwitchboardClient;
  /** Sequence numbers received, per publisher, in arrival order. */
  received: Map<string, number[]>;
  recovered: number;
  resets: number;
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`deploy: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A rolling deploy on a private redis-server: `nodes` `switchboard start` processes
 * behind a TCP balancer, SDK clients publishing numbered messages and subscribing
 * (recovering with `since` after every reconnect), each node in turn taken out of
 * the balancer, sent SIGTERM and started again. A watcher on one more node that is
 * not restarted sees every presence change. Counts what was lost, duplicated,
 * recovered, and what presence looks like at the end.
 */
export async function rollingDeploy(settings: DeploySettings, progress: (detail: string) => void = () => undefined): Promise<DeployReport> {
  const redis = await startRedisServer();
  const env = { ...QUIET_ENV, REDIS_URL: redis.url, SWITCHBOARD_JWT_SECRET: SECRET };
  const nodes: ServerProcess[] = [];
  const clients: SwitchboardClient[] = [];
  let watcher: TestClient | undefined;
  let observer: ServerProcess | undefined;
  let balancer: Awaited<ReturnType<typeof startTcpBalancer>> | undefined;
  let publishing = true;
  try {
    // `switchboard start` runs dist/: build it once here, not in four processes starting at once.
    progress("building dist/ if stale");
    const builder = new URL("../../scripts/build.mjs", import.meta.url).href;
    await ((await import(builder)) as { buildIfStale(log?: (line: string) => void): Promise<void> }).buildIfStale(() => undefined);
    progress(`starting ${settings.nodes + 1} nodes`);
    const ids = Array.from({ length: settings.nodes }, (_, index) => `deploy-${index + 1}`);
    nodes.push(...(await Promise.all(ids.map((id) => startServerProcess({ ...env, SWITCHBOARD_NODE_ID: id })))));
    observer = await startServerProcess({ ...env, SWITCHBOARD_NODE_ID: "observer" });
    balancer = await startTcpBalancer(nodes.map((node) => node.port));
    watcher = await connect(`${observer.url}?token=${await token("watcher")}`);
    await watcher.ok({ type: "join", room: ROOM });
    const tally = new PresenceTally(watcher, ROOM);
    const reconnect = { initialDelayMs: 50, maxDelayMs: 500 };

    progress("connecting clients");
    const subscribers: Subscriber[] = [];
    for (let index = 0; index < settings.subscribers; index++) {
      const user = `sub-${index + 1}`;
      const client = connectClient(balancer.url, { token: await token(user), reconnect });
      clients.push(client);
      const room = await client.join<{ from: string; seq: number }>(ROOM);
      const subscriber: Subscriber = { user, client, received: new Map(), recovered: 0, resets: 0 };
      room.on("message", (data) => {
        let list = subscriber.received.get(data.from);
        if (list === undefined) subscriber.received.set(data.from, (list = []));
        list.push(data.seq);
      });
      room.on("recovered", (info) => (subscriber.recovered += info.missed));
      room.on("reset", () => subscriber.resets++);
      await room.setMeta({ user });
      subscribers.push(subscriber);
    }
    const publishers: Publisher[] = [];
    for (let index = 0; index < settings.publishers; index++) {
      const user = `pub-${index + 1}`;
      const client = connectClient(balancer.url, { token: await token(user), reconnect });
      clients.push(client);
      const room = await client.join<{ from: string; seq: number }>(ROOM);
      await room.setMeta({ user });
      publishers.push({ user, client, room, attempted: 0, acked: new Set() });
    }
    const loops = publishers.map(async (publisher) => {
      // Numbered publications, one at a time; a failed one is not retried (it may or may not be stored).
      while (publishing) {
        const seq = ++publisher.attempted;
        try {
          await publisher.room.publish({ from: publisher.user, seq }, { timeout: 5_000 });
          publisher.acked.add(seq);
        } catch {
          // Not acknowledged: it does not count as lost if it never arrives.
        }
        await new Promise((resolve) => setTimeout(resolve, settings.intervalMs));
      }
    });
    const allConnected = (): boolean => clients.every((client) => client.state === "connected");
    await new Promise((resolve) => setTimeout(resolve, settings.dwellMs));

    const restarts: RestartTiming[] = [];
    const signal = settings.signal ?? "SIGTERM";
    for (let index = 0; index < Math.min(nodes.length, settings.restart ?? nodes.length); index++) {
      const node = nodes[index]!;
      const id = ids[index]!;
      progress(`restarting ${id}`);
      // The balancer's health check takes the node out of rotation first, as in a real deploy.
      balancer.backends = nodes.filter((other) => other !== node).map((other) => other.port);
      const started = performance.now();
      await node.stop(signal);
      const drainMs = performance.now() - started;
      const replacement = await startServerProcess({ ...env, SWITCHBOARD_NODE_ID: id }, node.port);
      const restartMs = performance.now() - started;
      nodes[index] = replacement;
      balancer.backends = nodes.map((other) => other.port);
      restarts.push({ node: id, drainMs: Math.round(drainMs), restartMs: Math.round(restartMs) });
      await until(allConnected, 30_000, "every client to reconnect");
      await new Promise((resolve) => setTimeout(resolve, settings.dwellMs));
    }

    progress("settling");
    publishing = false;
    await Promise.all(loops);
    await until(allConnected, 30_000, "every client to reconnect");
    const complete = (): boolean =>
      subscribers.every((subscriber) => publishers.every((publisher) => [...publisher.acked].every((seq) => subscriber.received.get(publisher.user)?.includes(seq) === true)));
    await until(complete, 15_000, "subscribers to receive every acknowledged publication").catch(() => undefined);

    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    for (const subscriber of subscribers) {
      for (const publisher of publishers) {
        const seqs = subscriber.received.get(publisher.user) ?? [];
        const seen = new Set(seqs);
        for (const seq of publisher.acked) if (!seen.has(seq)) lost++;
        duplicated += seqs.length - seen.size;
        for (let position = 1; position < seqs.length; position++) if (seqs[position]! <= seqs[position - 1]!) outOfOrder++;
      }
    }

    // Presence at the end, from the node that never restarted, once it is quiet.
    const users = [...subscribers.map((subscriber) => subscriber.user), ...publishers.map((publisher) => publisher.user)];
    const currentIds = new Set(clients.map((client) => client.welcome?.connectionId).filter((id): id is string => id !== undefined));
    await tally.until((seen) => [...currentIds].every((id) => seen.joined.has(id)), 15_000).catch(() => undefined);
    let members: Array<{ userId: string | null; connections: number; meta?: Record<string, unknown> }> = [];
    const expectedUsers = new Set(users);
    const settled = (): boolean => members.length === users.length + 1 && members.every((member) => member.connections === 1);
    for (let attempt = 0; attempt < 100; attempt++) {
      members = (await watcher.ok({ type: "presence", room: ROOM })).members as typeof members;
      if (settled()) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const present = new Set(members.map((member) => member.userId));
    const ghosts = members.reduce((sum, member) => sum + member.connections - 1, 0) + members.filter((member) => member.userId !== "watcher" && !expectedUsers.has(member.userId ?? "")).length;
    const missing = users.filter((user) => !present.has(user)).length;
    const metaLost = members.filter((member) => member.userId !== "watcher" && member.meta?.user !== member.userId).length;
    // Drain the watcher's buffered presence frames, then: every connection seen joining and gone now must have been announced as left.
    await tally.until(() => false, 500).catch(() => undefined);
    const watcherId = watcher.connectionId;
    let unannouncedLeaves = 0;
    for (const id of tally.joined) if (id !== watcherId && !currentIds.has(id) && !tally.left.has(id)) unannouncedLeaves++;

    const published = publishers.reduce((sum, publisher) => sum + publisher.attempted, 0);
    const acknowledged = publishers.reduce((sum, publisher) => sum + publisher.acked.size, 0);
    return {
      published,
      acknowledged,
      lost,
      duplicated,
      outOfOrder,
      recovered: subscribers.reduce((sum, subscriber) => sum + subscriber.recovered, 0),
      resets: subscribers.reduce((sum, subscriber) => sum + subscriber.resets, 0),
      ghosts,
      missing,
      metaLost,
      unannouncedLeaves,
      restarts,
    };
  } finally {
    publishing = false;
    await Promise.allSettled(clients.map((client) => client.close()));
    await watcher?.close();
    await balancer?.close();
    await Promise.allSettled([...nodes, ...(observer === undefined ? [] : [observer])].map((node) => node.stop("SIGTERM")));
    await redis.stop();
  }
}

/** `npm run bench -- --scenario deploy`: the rolling deploy with the run's sizes, as figures for the table. */
export async function deploy(context: ScenarioContext): Promise<Figures> {
  const report = await rollingDeploy({ nodes: 3, ...context.sizes.deploy }, context.progress);
  const figures: Figures = { published: report.published, acknowledged: report.acknowledged, recovered: report.recovered, ...failureCounts(report) };
  report.restarts.forEach((restart, index) => {
    figures[`drain${index + 1}Ms`] = restart.drainMs;
    figures[`restart${index + 1}Ms`] = restart.restartMs;
  });
  return figures;
}

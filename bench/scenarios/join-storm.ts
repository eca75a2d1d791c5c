import { startRedisServer } from "../../test/support/redis-server.js";
import type { JoinAllResult, OpenResult, Report } from "../client-child.js";
import type { ProtocolName } from "../client/protocols.js";
import { deliveryCosts, generatorFigures, grown, lastDelivery, reportAll, resetAll, round, serverCpu, shares, startClients, startServer, stopAll, sumDelivered, waitDelivered } from "../harness.js";
import type { ServerUnderTest } from "../harness.js";
import type { RpcClient } from "../rpc.js";
import type { TargetName } from "../targets/target.js";
import type { Figures, ScenarioContext } from "./types.js";

/** Not a `bench:` room: Switchboard's bench policy turns presence off there, and this scenario is about presence. */
const ROOM = "storm:room";
/** Presence frames of the last joins go out up to one coalescing interval (100 ms) after them; wait that out before the last sample. */
const SETTLE_MS = 400;

export interface StormPlan {
  target: TargetName;
  members: number;
  /** Server workers on a private Redis (Switchboard only); absent: one server process, in memory. */
  workers?: number;
  /** Generator processes of their own (each with its own 127.0.0.x source address); absent: the run's generators. */
  generators?: number;
}

/**
 * `members` clients (already connected) join one room at once, presence on
 * (Socket.IO and the ws baseline do the same joins; they have no presence to
 * pay for), then one publication is delivered to all of them. Figures: seconds
 * until the last join reply, frames and bytes the server sent for the whole
 * storm and the publication (per member too), server CPU.
 */
export async function joinStorm(context: ScenarioContext, plan: StormPlan, runClients: RpcClient[]): Promise<Figures> {
  const { members } = plan;
  const protocol: ProtocolName = plan.target;
  const store = plan.workers === undefined ? undefined : await startRedisServer();
  const servers: ServerUnderTest[] = [];
  const ownGenerators = plan.generators !== undefined ? startClients(plan.generators) : undefined;
  const generators = ownGenerators ?? runClients;
  try {
    if (store !== undefined) {
      for (let worker = 0; worker < plan.workers!; worker++) servers.push(await startServer({ target: "switchboard", redisUrl: store.url, nodeId: `storm-${worker + 1}` }, `switchboard worker ${worker + 1}`));
    } else servers.push(await startServer({ target: plan.target }, `${plan.target} (join storm)`));
    context.progress(`connecting ${members.toLocaleString("en-US")}`);
    const connectStarted = performance.now();
    // Connection ranges per generator process: [from, from + count) on each server.
    const ranges: Array<Array<{ from: number; count: number }>> = generators.map(() => []);
    const perServer = shares(members, servers.length);
    for (let server = 0; server < servers.length; server++) {
      const split = shares(perServer[server]!, generators.length);
      const opened = await Promise.all(
        generators.map((client, process) =>
          client.call<OpenResult>(
            "open",
            {
              protocol,
              base: servers[server]!.base,
              count: split[process]!,
              concurrency: 50,
              userPrefix: `s${server}p${process}`,
              timeoutMs: 120_000,
              ...(ownGenerators === undefined ? {} : { localAddress: `127.0.0.${process + 2}` }),
            },
            600_000,
          ),
        ),
      );
      const failed = opened.reduce((sum, result) => sum + result.failed, 0);
      if (failed > 0) throw new Error(`${failed} connections failed to open: ${opened.find((result) => result.firstError !== undefined)?.firstError}`);
      opened.forEach((result, process) => ranges[process]!.push({ from: result.firstIndex, count: split[process]! }));
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    await resetAll(generators, false);
    const before = await Promise.all(servers.map(serverCpu));
    context.progress(`${members.toLocaleString("en-US")} joining`);
    const joins = await Promise.all(
      generators.flatMap((client, process) => ranges[process]!.map((range) => client.call<JoinAllResult>("joinAll", { room: ROOM, from: range.from, count: range.count, timeoutMs: 300_000 }, 310_000))),
    );
    const replied = joins.reduce((sum, join) => sum + join.replied, 0);
    const refused = joins.reduce((sum, join) => sum + join.refused, 0);
    const startedAt = Math.min(...joins.map((join) => join.startedAt));
    const lastReplyAt = Math.max(...joins.map((join) => join.lastReplyAt));
    if (replied < members) throw new Error(`${members - replied} joins got no reply within 300 s`);
    // The storm is over when its last presence frames are in: no frame arrives for a while.
    await quiet(generators, 180_000);
    const beforePublish = await Promise.all(servers.map(serverCpu));
    context.progress("publishing once");
    // From a connection whose join was answered (a refused one is no member and may not publish), watched by another.
    const joinedOf = joinsByProcess(generators, ranges, joins);
    const publisher = joinedOf.findIndex((joined) => joined !== undefined && joined.lastJoined > joined.firstJoined);
    if (publisher === -1) throw new Error("no generator process has two members that joined");
    const { sentAt } = await generators[publisher]!.call<{ sentAt: number }>("publishOne", { index: joinedOf[publisher]!.firstJoined, room: ROOM });
    // A refused join's connection is not in the room: only the joined can receive.
    const joined = members - refused;
    let reports: Report[] = await waitDelivered(generators, joined, Math.max(60_000, members * 3));
    const deliveredAt = Math.max(...reports.map((report) => report.lastAt));
    const afterPublish = await Promise.all(servers.map(serverCpu));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    reports = await reportAll(generators);
    const after = await Promise.all(servers.map(serverCpu));
    const delivered = sumDelivered(reports);
    const frames = reports.reduce((sum, report) => sum + report.framesIn, 0);
    const serverBytes = grown(before, after, (sample) => sample.bytesWritten);
    const cpuMicros = grown(before, after, (sample) => sample.cpuMicros);
    const fanout = await roomFanout(context, servers, generators[publisher]!, joinedOf[publisher]!, generators, joined);
    return {
      members,
      joinSeconds: round((lastReplyAt - startedAt) / 1000, 2),
      serverFrames: frames,
      framesPerMember: round(frames / members, 1),
      serverBytes,
      serverBytesPerMember: round(serverBytes / members),
      serverCpuSeconds: round(cpuMicros / 1e6, 2),
      serverCpuMicrosPerMember: round(cpuMicros / members),
      joinsRefused: refused,
      publishToLastDeliveryMs: round(deliveredAt - sentAt, 1),
      // The one publication alone, once the storm is quiet: comparable with the fan-out scenario's figure.
      publicationCpuMicrosPerDelivery: round(grown(beforePublish, afterPublish, (sample) => sample.cpuMicros) / Math.max(1, delivered), 2),
      ...fanout,
      delivered,
      // Refused joins are counted above, not as lost.
      lost: joined - delivered,
      connectSeconds: round(connectSeconds, 1),
      serverProcesses: servers.length,
      generatorProcesses: generators.length,
      ...generatorFigures(reports),
    };
  } finally {
    await stopAll(servers, ownGenerators ?? []);
    await store?.stop();
  }
}

/** Deliveries of the fan-out phase (publications × members), whatever the room size: the same as the fan-out scenario's 2,000 × 1,000. */
const FANOUT_DELIVERIES = 2_000_000;
/** Publications of the fan-out phase at least this many windows, so that every size runs with its window full, not only at the start. */
const FANOUT_MIN_WINDOWS = 4;
/** How long the servers are watched doing nothing before the fan-out: what they spend anyway (timers, heartbeats, presence TTLs). */
const IDLE_MS = 2_000;

/**
 * Once the room is built: publications to it as fast as delivery allows (the fan-out scenario's
 * pump: a few ahead of a watcher in the room), so that server CPU per delivery is measured over
 * millions of deliveries, like the fan-out scenario's, not over one publication. The same window
 * at every size (`sizes.joinStorm.window`), with enough publications to keep it full, so that each
 * size has as many publications in flight as the others.
 */
async function roomFanout(
  context: ScenarioContext,
  servers: ServerUnderTest[],
  publisher: RpcClient,
  joined: { firstJoined: number; lastJoined: number },
  generators: RpcClient[],
  members: number,
): Promise<Figures> {
  const { window } = context.sizes.joinStorm;
  const publications = Math.max(FANOUT_MIN_WINDOWS * window, Math.min(2_000, Math.round(FANOUT_DELIVERIES / members)));
  await resetAll(generators, false);
  context.progress("idle servers");
  const idleBefore = await Promise.all(servers.map(serverCpu));
  const idleStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idleAfter = await Promise.all(servers.map(serverCpu));
  const idleCpuShare = grown(idleBefore, idleAfter, (sample) => sample.cpuMicros) / 1000 / (performance.now() - idleStarted);
  context.progress(`publishing ${publications.toLocaleString("en-US")} to the room`);
  const before = await Promise.all(servers.map(serverCpu));
  const started = performance.now();
  const pumped = await publisher.call<{ published: number; startedAt: number; timedOut: boolean }>(
    "pump",
    { rooms: [{ room: ROOM, publisher: joined.firstJoined, watcher: joined.lastJoined }], messagesPerRoom: publications, window, timeoutMs: 180_000 },
    190_000,
  );
  const expected = pumped.published * members;
  const reports = await waitDelivered(generators, expected, 120_000);
  const after = await Promise.all(servers.map(serverCpu));
  const seconds = (performance.now() - started) / 1000;
  const delivered = sumDelivered(reports);
  const costs = deliveryCosts(before, after, delivered);
  return {
    fanoutPublications: pumped.published,
    fanoutWindow: window,
    fanoutDeliveredPerSecond: round(delivered / ((lastDelivery(reports) - pumped.startedAt) / 1000)),
    fanoutCpuMicrosPerDelivery: costs.cpuMicrosPerDelivery,
    fanoutUserCpuMicrosPerDelivery: costs.userCpuMicrosPerDelivery,
    // Not subtracted from the figure above: the share of it the servers would have spent idle over as long.
    fanoutIdleCpuShare: round(idleCpuShare, 3),
    fanoutIdleCpuMicrosPerDelivery: round((idleCpuShare * 1e6 * seconds) / Math.max(1, delivered), 2),
    fanoutDeliveriesPerWrite: costs.deliveriesPerWrite,
    fanoutCpuMicrosPerWrite: costs.cpuMicrosPerWrite,
    fanoutWriteSyscalls: costs.writeSyscalls,
    fanoutReadSyscalls: costs.readSyscalls,
    fanoutInvoluntarySwitchesPerThousand: costs.involuntarySwitchesPerThousand,
    fanoutVoluntarySwitchesPerThousand: costs.voluntarySwitchesPerThousand,
    fanoutLost: expected - delivered,
  };
}

/** Per generator process, the first and last connection whose join was answered, over all its ranges. */
function joinsByProcess(generators: RpcClient[], ranges: Array<Array<{ from: number; count: number }>>, joins: JoinAllResult[]): Array<{ firstJoined: number; lastJoined: number } | undefined> {
  // `joins` is in the order of generators.flatMap(ranges): walk it the same way.
  let next = 0;
  return generators.map((_, process) => {
    let result: { firstJoined: number; lastJoined: number } | undefined;
    for (const _range of ranges[process]!) {
      const join = joins[next++]!;
      if (join.firstJoined === -1) continue;
      result = result === undefined ? { firstJoined: join.firstJoined, lastJoined: join.lastJoined } : { firstJoined: Math.min(result.firstJoined, join.firstJoined), lastJoined: Math.max(result.lastJoined, join.lastJoined) };
    }
    return result;
  });
}

/** Waits until no generator received a frame for a whole second (bounded by `timeoutMs`). */
async function quiet(generators: RpcClient[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() < deadline) {
    const frames = (await reportAll(generators)).reduce((total, report) => total + report.framesIn, 0);
    if (frames !== last) {
      last = frames;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= 1_000) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}


import { deliveryCosts, generatorFigures, serverFigures, lastDelivery, openAll, resetAll, round, serverCpu, shares, stopAll, sumDelivered, waitDelivered } from "../harness.js";
import type { ScenarioContext, Variant, Figures } from "./types.js";
import type { RpcClient } from "../rpc.js";
import { PROTOCOLS } from "../client/protocols.js";

const ROOM = "bench:fanout";

/**
 * One room, `members` connections, 100-byte publications as fast as delivery
 * allows: the publisher keeps a few publications ahead of a watcher that joined
 * last (so it is served last). Figures: delivered messages/s and server CPU per delivery.
 */
export async function fanout(context: ScenarioContext, variant: Variant, clients: RpcClient[]): Promise<Figures> {
  const { members, messages, window } = context.sizes.fanout;
  const server = await variant.start(false);
  try {
    context.progress("connecting");
    const split = shares(members - 2, clients.length);
    const common = { protocol: variant.protocol, base: server.base, concurrency: 50, timeoutMs: 30_000, ...(variant.clientJwtSecret === undefined ? {} : { jwtSecret: variant.clientJwtSecret }) };
    await openAll(clients, split.map((count) => new Array<string>(count).fill(ROOM)), common);
    // Publisher, then watcher: the watcher is the room's last member.
    const publisher = await openAll([clients[0]!], [[ROOM]], { ...common, concurrency: 1 });
    await openAll([clients[0]!], [[ROOM]], { ...common, concurrency: 1 });
    const publisherIndex = publisher.firstIndex[0]!;
    await resetAll(clients, false);
    context.progress("publishing");
    const cpuBefore = await serverCpu(server);
    const pumped = await clients[0]!.call<{ published: number; startedAt: number; timedOut: boolean }>("pump", {
      rooms: [{ room: ROOM, publisher: publisherIndex, watcher: publisherIndex + 1 }],
      messagesPerRoom: messages,
      window,
      timeoutMs: 60_000,
    }, 70_000);
    // Pusher client events do not come back to their sender: one recipient fewer per publication.
    const expected = pumped.published * (PROTOCOLS[variant.protocol].publisherReceives === false ? members - 1 : members);
    const reports = await waitDelivered(clients, expected, 10_000);
    const cpuAfter = await serverCpu(server);
    const delivered = sumDelivered(reports);
    const seconds = (lastDelivery(reports) - pumped.startedAt) / 1000;
    const costs = deliveryCosts([cpuBefore], [cpuAfter], delivered);
    // The same publications again in whole bursts of the window (see PumpArgs.burst): every server
    // is then measured writing the same number of frames per syscall.
    await resetAll(clients, false);
    context.progress("publishing in bursts");
    const burstBefore = await serverCpu(server);
    const bursts = await clients[0]!.call<{ published: number; timedOut: boolean }>("pump", {
      rooms: [{ room: ROOM, publisher: publisherIndex, watcher: publisherIndex + 1 }],
      messagesPerRoom: messages,
      window,
      timeoutMs: 60_000,
      burst: true,
    }, 70_000);
    const burstExpected = bursts.published * (PROTOCOLS[variant.protocol].publisherReceives === false ? members - 1 : members);
    const burstDelivered = sumDelivered(await waitDelivered(clients, burstExpected, 10_000));
    const burstCosts = deliveryCosts([burstBefore], [await serverCpu(server)], burstDelivered);
    return {
      burstCpuMicrosPerDelivery: burstCosts.cpuMicrosPerDelivery,
      burstUserCpuMicrosPerDelivery: burstCosts.userCpuMicrosPerDelivery,
      burstDeliveriesPerWrite: burstCosts.deliveriesPerWrite,
      burstCpuMicrosPerWrite: burstCosts.cpuMicrosPerWrite,
      burstLost: burstExpected - burstDelivered,
      deliveredPerSecond: round(delivered / seconds),
      serverCpuMicrosPerDelivery: costs.cpuMicrosPerDelivery,
      serverUserCpuMicrosPerDelivery: costs.userCpuMicrosPerDelivery,
      serverDeliveriesPerWrite: costs.deliveriesPerWrite,
      serverCpuMicrosPerWrite: costs.cpuMicrosPerWrite,
      serverWriteSyscalls: costs.writeSyscalls,
      serverReadSyscalls: costs.readSyscalls,
      serverInvoluntarySwitchesPerThousand: costs.involuntarySwitchesPerThousand,
      serverVoluntarySwitchesPerThousand: costs.voluntarySwitchesPerThousand,
      ...serverFigures(cpuBefore, cpuAfter),
      delivered,
      lost: expected - delivered,
      members,
      published: pumped.published,
      ...generatorFigures(reports),
    };
  } finally {
    await stopAll(server, []);
  }
}

import type { BrokerMessage } from "../broker/broker.js";
import type { Logger } from "../log/logger.js";
import { PresenceCoalescer } from "../presence/presence-coalescer.js";
import type { PresenceFlushFailure } from "../presence/presence-coalescer.js";
import type { PresenceChange, PresenceChanges } from "../presence/presence-diff.js";
import type { PresenceStore } from "../presence/presence-store.js";
import { RoomThrottle } from "../presence/room-throttle.js";
import type { FanOut } from "../delivery/fan-out.js";
import type { Hub } from "../delivery/hub.js";
import type { RoomPolicies } from "./room-policy.js";

/** Default coalescing interval of presence frames. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 100;
/**
 * Count-only frames of a room go out at most this often (or at the coalescing interval when
 * that is longer): a big room's count need not tick ten times a second, and during a storm on
 * a busy cluster every frame saved is one per member.
 */
export const COUNT_FRAME_INTERVAL_MS = 1_000;

export interface PresenceAnnouncerDeps {
  fanOut: Pick<FanOut, "announcePresence" | "deliverPresence" | "route">;
  hub: Hub;
  presence: PresenceStore;
  policies: RoomPolicies;
  logger: Logger;
  intervalMs?: number;
}

type PresenceMessage = Extract<BrokerMessage, { kind: "presence" }>;

/**
 * Announces presence changes without making a big room quadratic. Two windows
 * per room and node, each flushed at most once per interval:
 *   1. outbound: the changes of this node's connections, one broker message per
 *      room per interval (instead of one per join or leave);
 *   2. inbound: the batches of every node (this one included), folded into one
 *      `presence` frame per room per interval, encoded once and fanned out to the
 *      local members like a publication.
 * The frame carries the room's count, and member lists only while the room is in
 * list mode and at most `presenceListLimit` connections large.
 *
 * No batch is lost to a broker or store that is away or slow: a failed publish
 * (outbound) or count read (inbound) is kept and sent again, merged in front of
 * what arrived meanwhile, with a bounded backoff (src/presence/presence-coalescer.ts);
 * inbound gives up only when the room has no member left here. A count frame whose
 * read failed is due again (src/presence/room-throttle.ts).
 */
export class PresenceAnnouncer {
  private readonly deps: PresenceAnnouncerDeps;
  private readonly outbound: PresenceCoalescer;
  private readonly inbound: PresenceCoalescer;
  private readonly counts: RoomThrottle;

  constructor(deps: PresenceAnnouncerDeps) {
    this.deps = deps;
    const intervalMs = deps.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
    const onFailure = (direction: string) => (failure: PresenceFlushFailure) => this.failed(direction, failure);
    const onRecovered = (direction: string) => (room: string, attempts: number) => deps.logger.info({ room, attempts }, `presence ${direction} sent after retrying`);
    this.outbound = new PresenceCoalescer({
      intervalMs,
      flush: (room, changes) => deps.fanOut.announcePresence(room, changes),
      onFailure: onFailure("announcement"),
      onRecovered: onRecovered("announcement"),
    });
    this.inbound = new PresenceCoalescer({ intervalMs, flush: (room, changes) => this.deliver(room, changes), onFailure: onFailure("delivery"), onRecovered: onRecovered("delivery") });
    this.counts = new RoomThrottle(Math.max(intervalMs, COUNT_FRAME_INTERVAL_MS), (room) => this.sendCount(room), {
      // Like the diffs: once per streak (a Redis outage fails a room's count every second), then once when it is back.
      onFailure: (error, room, attempt) => {
        if (attempt === 1) deps.logger.warn({ err: error, room }, "presence count frame failed; sending it again");
      },
      onRecovered: onRecovered("count frame"),
    });
    deps.fanOut.route("presence", (message) => this.receive(message));
  }

  /** A change of a connection on this node, or of one a dead node left behind. Call after the store has it. */
  announce(room: string, change: PresenceChange): void {
    this.outbound.add(room, (diff) => diff.add(change));
  }

  /** A batch from the broker. */
  receive(message: PresenceMessage): void {
    if (this.deps.hub.roomMembers(message.room) === undefined) return;
    this.inbound.add(message.room, (diff) => diff.addChanges(message.changes));
  }

  /** Sends what is still pending (the leaves of a node shutting down), reporting what could not go out, and stops. */
  async close(): Promise<void> {
    await this.outbound.drain();
    await this.inbound.drain();
    this.counts.close();
  }

  /** Logged once per streak of failures (at the first), and when a batch is given up. */
  private failed(direction: string, { room, error, attempt, changes, retryInMs }: PresenceFlushFailure): void {
    if (retryInMs === undefined) this.deps.logger.error({ err: error, room, changes }, `presence ${direction} failed on close; those changes are lost`);
    else if (attempt === 1) this.deps.logger.warn({ err: error, room, changes, retryInMs }, `presence ${direction} failed; sending it again`);
  }

  private async deliver(room: string, changes: PresenceChanges): Promise<void> {
    const { hub, presence, policies } = this.deps;
    if (hub.roomMembers(room) === undefined) return;
    // A frame without lists tells a client the room is in count mode (it drops its list); a window never builds one, and must not.
    if (changes.joined === undefined && changes.left === undefined && changes.updated === undefined) return;
    const policy = policies.resolve(room);
    // Read when the frame is built, so that the last frame of a storm carries the final count.
    const count = await presence.count(room);
    if (policy.presenceMode === "list" && count <= policy.presenceListLimit) return this.deps.fanOut.deliverPresence(room, { count, ...changes });
    // Count mode: a window of meta updates only changes nothing a member sees.
    if (changes.joined !== undefined || changes.left !== undefined) this.counts.request(room);
  }

  private async sendCount(room: string): Promise<void> {
    const { hub, presence, policies } = this.deps;
    if (hub.roomMembers(room) === undefined) return;
    const policy = policies.resolve(room);
    const count = await presence.count(room);
    // Back in list mode meanwhile: the diffs speak for the room now.
    if (policy.presenceMode === "list" && count <= policy.presenceListLimit) return;
    this.deps.fanOut.deliverPresence(room, { count });
  }
}

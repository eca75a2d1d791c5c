import type { BrokerMessage } from "../broker/broker.js";
import type { Logger } from "../log/logger.js";
import { PresenceCoalescer } from "../presence/presence-coalescer.js";
import type { PresenceChange, PresenceChanges } from "../presence/presence-diff.js";
import type { PresenceStore } from "../presence/presence-store.js";
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
 */
export class PresenceAnnouncer {
  private readonly deps: PresenceAnnouncerDeps;
  private readonly outbound: PresenceCoalescer;
  private readonly inbound: PresenceCoalescer;
  private readonly countIntervalMs: number;
  /** Rooms whose count frame went out less than `countIntervalMs` ago; `pending`: another is due. */
  private readonly counts = new Map<string, { pending: boolean; timer: NodeJS.Timeout | undefined }>();
  private readonly warn: (error: unknown, room: string) => void;

  constructor(deps: PresenceAnnouncerDeps) {
    this.deps = deps;
    const intervalMs = deps.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
    const warn = (error: unknown, room: string): void => deps.logger.warn({ err: error, room }, "presence announcement failed");
    this.warn = warn;
    this.countIntervalMs = Math.max(intervalMs, COUNT_FRAME_INTERVAL_MS);
    this.outbound = new PresenceCoalescer(intervalMs, (room, changes) => deps.fanOut.announcePresence(room, changes), warn);
    this.inbound = new PresenceCoalescer(intervalMs, (room, changes) => this.deliver(room, changes), warn);
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

  /** Sends what is still pending (the leaves of a node shutting down) and stops. */
  async close(): Promise<void> {
    await this.outbound.drain();
    await this.inbound.drain();
    for (const state of this.counts.values()) clearTimeout(state.timer);
    this.counts.clear();
  }

  private async deliver(room: string, changes: PresenceChanges): Promise<void> {
    const { hub, presence, policies } = this.deps;
    if (hub.roomMembers(room) === undefined) return;
    const policy = policies.resolve(room);
    // Read when the frame is built, so that the last frame of a storm carries the final count.
    const count = await presence.count(room);
    if (policy.presenceMode === "list" && count <= policy.presenceListLimit) return this.deps.fanOut.deliverPresence(room, { count, ...changes });
    // Count mode: a window of meta updates only changes nothing a member sees.
    if (changes.joined !== undefined || changes.left !== undefined) this.throttleCount(room);
  }

  /** A throttle with leading and trailing edge: the last count of a burst always goes out. */
  private throttleCount(room: string): void {
    const known = this.counts.get(room);
    if (known !== undefined) {
      known.pending = true;
      return;
    }
    const state: { pending: boolean; timer: NodeJS.Timeout | undefined } = { pending: false, timer: undefined };
    this.counts.set(room, state);
    const tick = (): void => {
      if (!state.pending) {
        this.counts.delete(room);
        return;
      }
      state.pending = false;
      this.sendCount(room).catch((error: unknown) => this.warn(error, room));
      state.timer = setTimeout(tick, this.countIntervalMs);
      state.timer.unref();
    };
    this.sendCount(room).catch((error: unknown) => this.warn(error, room));
    state.timer = setTimeout(tick, this.countIntervalMs);
    state.timer.unref();
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

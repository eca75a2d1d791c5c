import type { RoomMessage } from "./types.js";

/**
 * What a live message frame means for a room that has seen offsets up to `last`:
 * the next one, one already delivered, one after a skipped offset, or one from
 * a new epoch (the room's history was lost and offsets started again).
 * Frames without an epoch (older servers) are judged by offset alone; during a
 * join's recovery the server replays in order, so only duplicates are dropped.
 */
export type LiveVerdict = "next" | "duplicate" | "gap" | "new_epoch";

export function classifyLive(frame: RoomMessage<unknown>, last: number | undefined, epoch: string | undefined, recovering: boolean): LiveVerdict {
  const offset = frame.offset!;
  if (frame.epoch !== undefined && epoch !== undefined && frame.epoch !== epoch && !recovering) return "new_epoch";
  if (last === undefined) return "next";
  if (offset <= last) return "duplicate";
  if (offset > last + 1 && !recovering) return "gap";
  return "next";
}

/** One gap being read back from history: where it starts, the frame that revealed it, the live frames held since. */
export class LiveGapFill<Message> {
  readonly held: RoomMessage<Message>[] = [];

  constructor(
    readonly since: { offset: number; epoch: string },
    readonly first: RoomMessage<Message>,
    /** A new epoch already emitted `reset`: an unfillable gap after it needs no second one. */
    readonly resetAnnounced: boolean,
  ) {
    this.held.push(first);
  }

  /** How many offsets are missing before the first held frame. */
  get missing(): number {
    return Math.max(0, this.first.offset! - this.since.offset - 1);
  }

  hold(frame: RoomMessage<Message>): void {
    this.held.push(frame);
  }

  /** The missed messages in order when a history page holds every one of them; undefined when it does not. */
  covering(messages: RoomMessage<Message>[] | undefined): RoomMessage<Message>[] | undefined {
    if (this.missing === 0) return [];
    if (messages === undefined) return undefined;
    const end = this.first.offset!;
    const wanted = messages.filter((message) => typeof message.offset === "number" && message.offset > this.since.offset && message.offset < end && (message.epoch === undefined || message.epoch === this.since.epoch));
    wanted.sort((a, b) => a.offset! - b.offset!);
    for (let index = 0; index < wanted.length; index++) if (wanted[index]!.offset !== this.since.offset + 1 + index) return undefined;
    return wanted.length === this.missing ? wanted : undefined;
  }
}

import type { Logger } from "../log/logger.js";
import type { HistoryPage } from "../history/history-store.js";
import type { RecoveryPosition } from "../protocol/frames.js";
import type { BroadcastApi, PublishOptions, PublishResult } from "../delivery/broadcast-operator.js";
import type { ChangeRouter, RowChange } from "./change-mapping.js";
import type { ChangeFeedMetrics } from "./feed-types.js";

/**
 * Exactly-once delivery of durable changes (outbox rows, WAL changes) into room
 * history. Each publication carries the feed's name and the change's position
 * (outbox id, or commit LSN and index); positions grow in commit order. A room's
 * watermark is the highest position of this feed in its history: read back from
 * history the first time a reader touches the room in its tenure, then kept in
 * memory. A change at or below the watermark was already published (by a reader
 * that crashed before it could delete the row or confirm the slot) and is
 * skipped, so it is in history once.
 */
export interface DurableSink extends Pick<BroadcastApi, "to"> {
  publish(room: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  history(room: string, limit?: number, since?: RecoveryPosition): Promise<HistoryPage>;
}

export interface DurableChange extends RowChange {
  /** Position in the feed, e.g. "42" (outbox id) or "0/16B3748:3" (commit LSN : index). */
  position: string;
}

/** What a published change's `data` holds. */
export interface DurableChangeData extends RowChange {
  feed: string;
  position: string;
  /** Set when the rows could not be carried (`too_large`: over MAX_DATA_BYTES; `bad_request`: nested too deeply); `new` and `old` are then null. */
  omitted?: "too_large" | "bad_request";
}

export interface DeliveryCounters {
  delivered(room: string): void;
  skipped(reason: "duplicate" | "filtered" | "unmapped"): void;
}

/** A durable feed's tallies, as both the outbox and the logical replication feed keep them. */
export interface FeedTallies {
  delivered: number;
  duplicates: number;
  filtered: number;
  dropped: number;
}

/** The delivery counters of a durable feed: its own tallies, and metrics under its name. */
export function countDeliveries(tallies: FeedTallies, feedName: string, metrics: ChangeFeedMetrics | undefined): DeliveryCounters {
  return {
    delivered: (room) => {
      tallies.delivered++;
      metrics?.delivered?.(feedName, room);
    },
    skipped: (reason) => {
      if (reason === "duplicate") tallies.duplicates++;
      else if (reason === "filtered") tallies.filtered++;
      else {
        tallies.dropped++;
        metrics?.dropped?.(feedName, "unmapped");
      }
    },
  };
}

/** How far back a room's history is searched for the feed's last position. */
const WATERMARK_SCAN_LIMIT = 1_000;
const WATERMARK_PAGE = 100;
/** Rooms whose watermark is kept in memory; beyond, the oldest are forgotten and read again when needed. */
const MAX_WATERMARKS = 100_000;

export class DurableDelivery {
  private readonly watermarks = new Map<string, string | null>();

  constructor(
    private readonly sink: DurableSink,
    private readonly router: ChangeRouter,
    private readonly feed: string,
    /** Negative, zero or positive as a is before, equal to or after b. */
    private readonly compare: (a: string, b: string) => number,
    private readonly counters: DeliveryCounters,
    private readonly logger?: Logger,
  ) {}

  /** A new reader tenure: what another reader did since is only known from history. */
  reset(): void {
    this.watermarks.clear();
  }

  /**
   * Publishes the change to every room its mappings name, skipping rooms whose
   * history already holds it. Rejects when a publication fails: the caller
   * must not confirm the change, and retries it (the room's watermark is read
   * again, since a failed publish may still have reached history).
   */
  async deliver(change: DurableChange): Promise<void> {
    const { routes, unmapped } = this.router.route(change);
    for (const mapping of unmapped) {
      this.counters.skipped("unmapped");
      this.logger?.warn({ table: change.table, room: mapping.room, event: mapping.event, position: change.position }, "change feed: change not delivered (a template names a missing field)");
    }
    if (routes.length === 0 && unmapped.length === 0) this.counters.skipped("filtered");
    const data: DurableChangeData = { op: change.op, schema: change.schema, table: change.table, new: change.new, old: change.old, feed: this.feed, position: change.position };
    for (const route of routes) {
      if (route.deliver === "event") {
        // Custom event frames have no history: delivered at least once, never deduplicated.
        await this.sink.to(route.room).emit(route.event, data);
        this.counters.delivered(route.room);
        continue;
      }
      const watermark = await this.watermark(route.room);
      if (watermark !== null && this.compare(change.position, watermark) <= 0) {
        this.counters.skipped("duplicate");
        // Rare (a reader died between publishing and confirming), so each one is worth a line.
        this.logger?.info({ room: route.room, position: change.position, inHistory: watermark }, "change feed: change already in room history; skipped");
        continue;
      }
      try {
        await this.publishOrStub(route.room, route.event, data);
      } catch (error) {
        this.watermarks.delete(route.room);
        throw error;
      }
      this.remember(route.room, change.position);
      this.counters.delivered(route.room);
    }
  }

  /**
   * A change no publication can carry (over MAX_DATA_BYTES of JSON, or nested
   * too deeply) would stop the feed if retried: it is published without its
   * rows, marked `omitted`, so it keeps its place in the room's order and the
   * client knows to read the row itself.
   */
  private async publishOrStub(room: string, event: string, data: DurableChangeData): Promise<void> {
    try {
      await this.sink.publish(room, data, { event });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "too_large" && code !== "bad_request") throw error;
      this.logger?.warn({ room, table: data.table, position: data.position, reason: code }, "change feed: change too large or too deep to publish; published without its rows");
      const stub: DurableChangeData = { ...data, new: null, old: null, omitted: code };
      await this.sink.publish(room, stub, { event });
    }
  }

  private remember(room: string, position: string | null): void {
    this.watermarks.delete(room);
    this.watermarks.set(room, position);
    if (this.watermarks.size > MAX_WATERMARKS) this.watermarks.delete(this.watermarks.keys().next().value as string);
  }

  private async watermark(room: string): Promise<string | null> {
    const known = this.watermarks.get(room);
    if (known !== undefined) return known;
    const found = await this.readWatermark(room);
    this.remember(room, found);
    return found;
  }

  /** The newest position of this feed in the room's history, searching back at most WATERMARK_SCAN_LIMIT messages. */
  private async readWatermark(room: string): Promise<string | null> {
    const head = await this.sink.history(room, 1);
    let end = head.offset;
    while (end > 0 && head.offset - end < WATERMARK_SCAN_LIMIT) {
      const start = Math.max(0, end - WATERMARK_PAGE);
      const page = await this.sink.history(room, end - start, { offset: start, epoch: head.epoch });
      if (page.epoch !== head.epoch) return null;
      const messages = page.messages.filter((message) => message.offset > start && message.offset <= end);
      for (let index = messages.length - 1; index >= 0; index--) {
        const position = feedPosition(messages[index]!.frame, this.feed);
        if (position !== undefined) return position;
      }
      // Older messages are gone (history size or TTL): nothing further back to find.
      if (messages[0]?.offset !== start + 1) return null;
      end = start;
    }
    return null;
  }
}

function feedPosition(frame: string, feed: string): string | undefined {
  // Cheap pre-check before parsing: most frames of a busy room are not this feed's.
  if (!frame.includes('"position"')) return undefined;
  try {
    const parsed = JSON.parse(frame) as { data?: { feed?: unknown; position?: unknown } };
    const data = parsed.data;
    return data !== undefined && data.feed === feed && typeof data.position === "string" ? data.position : undefined;
  } catch {
    return undefined;
  }
}

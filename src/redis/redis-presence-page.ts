import type { PresenceEntry, PresenceEntryPage } from "../presence/presence-store.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { RedisClient } from "./redis-connections.js";
import { toEntry } from "./redis-presence-scripts.js";

/**
 * HSCAN underneath. The cursor is "<scan cursor>:<skip>": HSCAN's COUNT is a
 * hint (a small hash comes back whole), so a batch larger than the page is cut
 * and the next page scans the same position again, skipping what was returned.
 */
export async function scanPage(commands: RedisClient, key: string, cursor: string | undefined, limit: number): Promise<PresenceEntryPage> {
  let [scan, skip] = parseCursor(cursor);
  const entries: PresenceEntry[] = [];
  // Bounded: each round either fills the page or advances the scan, and HSCAN ends.
  for (let round = 0; round < 1_000; round++) {
    const [next, flat] = await commands.hscan(key, scan, "COUNT", Math.max(limit, 10));
    const batch: PresenceEntry[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) batch.push(toEntry(flat[index]!, flat[index + 1]!));
    const fresh = batch.slice(skip);
    const room = limit - entries.length;
    if (fresh.length > room) {
      entries.push(...fresh.slice(0, room));
      return { entries, cursor: `${scan}:${skip + room}` };
    }
    entries.push(...fresh);
    skip = 0;
    if (next === "0") return { entries, cursor: null };
    scan = next;
    if (entries.length === limit) break;
  }
  return { entries, cursor: `${scan}:0` };
}

function parseCursor(cursor: string | undefined): [string, number] {
  if (cursor === undefined) return ["0", 0];
  const match = /^(\d{1,20}):(\d{1,6})$/.exec(cursor);
  if (match === null) throw new SwitchboardError("bad_request", '"cursor" is not a cursor this server returned.');
  return [match[1]!, Number(match[2])];
}

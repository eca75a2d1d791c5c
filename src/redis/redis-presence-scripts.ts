import { roomTopic } from "../broker/broker.js";
import type { PresenceEntry } from "../presence/presence-store.js";
import type { RedisBroker } from "./redis-broker.js";
import type { RedisConnections } from "./redis-connections.js";
import { envelopeHeaderLine } from "./redis-envelope.js";

/**
 * Lua scripts of the Redis presence store. Each touches one room's presence hash
 * and, when the store is paired with the broker, publishes on that room's channel
 * in the same atomic step (both share the room's hash tag, so this holds on Redis
 * Cluster too). That is what keeps every client's list equal to the store when a
 * node is swept while still alive: the sweeper's leaves are on the channel before
 * the node can find its entries missing, so the joins it publishes when it writes
 * them back always come after them.
 */

/**
 * The stored form of an entry. `e` is the epoch of the node's registration that
 * wrote it (a time in ms on that node's clock): a sweeper removes only entries at
 * most as new as the dead node's last heartbeat, so entries its owner wrote back
 * after coming back (a newer epoch) survive a sweep still in progress.
 */
export interface StoredEntry {
  u: string | null;
  n: string;
  e?: number;
  m?: Record<string, unknown>;
}

/** Replaces an entry only if it still exists, so an update never resurrects a left connection. */
const UPDATE_IF_PRESENT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * Removes the given connections' entries from a room, but only those of node
 * ARGV[1] with an epoch at most ARGV[2]; publishes their leaves as one presence
 * batch when ARGV[3] (the channel) is set. Returns the removed entries as flat
 * id, value pairs, then the number of entries left in the room.
 * ARGV: node, max epoch, channel or "", PUBLISH or SPUBLISH, envelope header line, room as JSON, ids...
 */
const SWEEP_SCRIPT = `
local removed = {}
local left = {}
for index = 7, #ARGV do
  local id = ARGV[index]
  local raw = redis.call('HGET', KEYS[1], id)
  if raw then
    local entry = cjson.decode(raw)
    if entry.n == ARGV[1] and (tonumber(entry.e) or 0) <= tonumber(ARGV[2]) then
      redis.call('HDEL', KEYS[1], id)
      removed[#removed + 1] = id
      removed[#removed + 1] = raw
      left[#left + 1] = '{"connectionId":' .. cjson.encode(id) .. ',"userId":' .. cjson.encode(entry.u) .. '}'
    end
  end
end
if #left > 0 and ARGV[3] ~= '' then
  redis.call(ARGV[4], ARGV[3], ARGV[5] .. '{"kind":"presence","room":' .. ARGV[6] .. ',"changes":{"left":[' .. table.concat(left, ',') .. ']}}')
end
removed[#removed + 1] = redis.call('HLEN', KEYS[1])
return removed
`;

/**
 * Writes a node's entries back into a room (ARGV from 5: id, value, join fragment
 * triples) and publishes, as one presence batch, the joins of those that were
 * missing: their leaves were announced by whoever removed them. Returns the ids of
 * those that were missing.
 * ARGV: channel or "", PUBLISH or SPUBLISH, envelope header line, room as JSON, triples...
 */
const RESTORE_SCRIPT = `
local joined = {}
local ids = {}
for index = 5, #ARGV, 3 do
  if redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) == 1 then
    joined[#joined + 1] = ARGV[index + 2]
    ids[#ids + 1] = ARGV[index]
  end
end
if #joined > 0 and ARGV[1] ~= '' then
  redis.call(ARGV[2], ARGV[1], ARGV[3] .. '{"kind":"presence","room":' .. ARGV[4] .. ',"changes":{"joined":[' .. table.concat(joined, ',') .. ']}}')
end
return ids
`;

/** Claims a dead node for sweeping: removes it from the live set only if its heartbeat is still old, and returns that heartbeat. */
const CLAIM_SCRIPT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return score
end
return false
`;

interface PresenceScriptedClient {
  switchboardPresenceUpdate(key: string, connectionId: string, value: string): Promise<number>;
  switchboardPresenceSweep(key: string, ...args: string[]): Promise<Array<string | number>>;
  switchboardPresenceRestore(key: string, ...args: string[]): Promise<string[]>;
  switchboardPresenceClaim(key: string, node: string, maxScore: string): Promise<string | null>;
}

/** Most entries a single script call handles, so that a big room's sweep never blocks Redis for long. */
const SCRIPT_BATCH = 500;

/** An epoch above every real one: removes the entries regardless of when they were written. */
export const ANY_EPOCH = String(Number.MAX_SAFE_INTEGER);

/**
 * The scripts' callers: each call touches one room (or the live set), and when
 * paired with the node's broker publishes on the room's channel in the same step.
 */
export class PresenceScripts {
  private companion: RedisBroker | undefined;

  constructor(
    private readonly connections: RedisConnections,
    private readonly node: string,
  ) {
    const commands = connections.commands;
    // defineCommand is idempotent per name; the stores share one commands connection.
    commands.defineCommand("switchboardPresenceUpdate", { numberOfKeys: 1, lua: UPDATE_IF_PRESENT });
    commands.defineCommand("switchboardPresenceSweep", { numberOfKeys: 1, lua: SWEEP_SCRIPT });
    commands.defineCommand("switchboardPresenceRestore", { numberOfKeys: 1, lua: RESTORE_SCRIPT });
    commands.defineCommand("switchboardPresenceClaim", { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  }

  get paired(): boolean {
    return this.companion !== undefined;
  }

  pairWith(broker: RedisBroker): void {
    this.companion = broker;
  }

  /** Replaces an existing entry's value; false when the entry is gone. */
  async updateIfPresent(commands: RedisConnections["commands"], room: string, connectionId: string, value: string): Promise<boolean> {
    return (await scripted(commands).switchboardPresenceUpdate(this.connections.keys.presence(room), connectionId, value)) === 1;
  }

  /** Removes a node from the live set if its heartbeat is still at most `cutoff`; resolves with that heartbeat, or null. */
  claim(node: string, cutoff: number): Promise<string | null> {
    return scripted(this.connections.commands).switchboardPresenceClaim(this.connections.keys.nodes(), node, String(cutoff));
  }

  /**
   * Removes the entries of `node` among `ids` (at most `maxEpoch` old) from a room,
   * announcing their leaves when paired; reports each removed entry to `removed`.
   */
  async sweepRoom(room: string, node: string, maxEpoch: string, ids: string[], removed: (entry: PresenceEntry) => Promise<void>): Promise<void> {
    const keys = this.connections.keys;
    let remaining = 1;
    for (const batch of chunks(ids, SCRIPT_BATCH)) {
      const reply = await scripted(this.connections.commands).switchboardPresenceSweep(keys.presence(room), node, maxEpoch, ...this.publishArgs(room), ...batch);
      remaining = Number(reply[reply.length - 1]);
      for (let index = 0; index + 1 < reply.length; index += 2) await removed(toEntry(String(reply[index]), String(reply[index + 1])));
    }
    if (remaining === 0) await this.connections.commands.zrem(keys.presenceRooms(), room);
  }

  /**
   * Writes a room's entries back under `epoch`, announcing the joins of those that
   * were missing when paired. Sent synchronously (the caller's snapshot of its
   * entries and the commands leave together); resolves, once Redis answered, with
   * the entries that were missing.
   */
  async restoreRoom(room: string, entries: PresenceEntry[], epoch: number): Promise<PresenceEntry[]> {
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    const restores: Array<Promise<string[]>> = [];
    const writes: Array<Promise<unknown>> = [];
    for (const batch of chunks(entries, SCRIPT_BATCH)) {
      const triples = batch.flatMap((entry) => [entry.connectionId, storedValue(entry, epoch), joinFragment(entry)]);
      restores.push(scripted(commands).switchboardPresenceRestore(keys.presence(room), ...this.publishArgs(room), ...triples));
      writes.push(commands.sadd(keys.nodeEntries(this.node), ...batch.map((entry) => member(room, entry.connectionId))));
    }
    writes.push(commands.zadd(keys.presenceRooms(), 0, room));
    const [restored] = await Promise.all([Promise.all(restores), Promise.all(writes)]);
    const missing = new Set(restored.flat());
    return entries.filter((entry) => missing.has(entry.connectionId));
  }

  /**
   * Writes the present entries of a room under `epoch` and removes the gone ones, then
   * reads the count: sent in this order on one connection, so the count includes them all.
   */
  async writeRoom(commands: RedisConnections["commands"], room: string, present: PresenceEntry[], gone: string[], epoch: number): Promise<number> {
    const keys = this.connections.keys;
    const writes: Array<Promise<unknown>> = [];
    for (const batch of chunks(present)) {
      writes.push(commands.hset(keys.presence(room), ...batch.flatMap((entry) => [entry.connectionId, storedValue(entry, epoch)])));
      writes.push(commands.sadd(keys.nodeEntries(this.node), ...batch.map((entry) => member(room, entry.connectionId))));
    }
    for (const batch of chunks(gone)) {
      writes.push(commands.hdel(keys.presence(room), ...batch));
      writes.push(commands.srem(keys.nodeEntries(this.node), ...batch.map((id) => member(room, id))));
    }
    if (present.length > 0) writes.push(commands.zadd(keys.presenceRooms(), 0, room));
    const [count] = await Promise.all([commands.hlen(keys.presence(room)), ...writes]);
    if (count === 0 && gone.length > 0) await commands.zrem(keys.presenceRooms(), room);
    return count;
  }

  /** The channel arguments of a script: where it publishes the room's presence batch, if paired. */
  private publishArgs(room: string): [channel: string, command: string, header: string, roomJson: string] {
    const broker = this.companion;
    const roomJson = JSON.stringify(room);
    if (broker === undefined) return ["", "PUBLISH", "", roomJson];
    return [this.connections.keys.channel(roomTopic(room)), broker.sharded ? "SPUBLISH" : "PUBLISH", envelopeHeaderLine(this.node, "presence"), roomJson];
  }
}

function scripted(commands: RedisConnections["commands"]): PresenceScriptedClient {
  return commands as unknown as PresenceScriptedClient;
}

export function storedValue(entry: PresenceEntry, epoch: number): string {
  const stored: StoredEntry = { u: entry.userId, n: entry.node, e: epoch };
  if (entry.meta !== undefined) stored.m = entry.meta;
  return JSON.stringify(stored);
}

/** The entry as a `joined` item of a presence batch. */
function joinFragment(entry: PresenceEntry): string {
  return JSON.stringify(entry.meta === undefined ? { connectionId: entry.connectionId, userId: entry.userId } : { connectionId: entry.connectionId, userId: entry.userId, meta: entry.meta });
}

export function toEntry(connectionId: string, raw: string): PresenceEntry {
  const stored = JSON.parse(raw) as StoredEntry;
  const entry: PresenceEntry = { connectionId, userId: stored.u, node: stored.n };
  if (stored.m !== undefined) entry.meta = stored.m;
  return entry;
}

/** A node's entry-set member: "room\nconnectionId". */
export function member(room: string, connectionId: string): string {
  return `${room}\n${connectionId}`;
}

export function split(value: string): [room: string, connectionId: string] {
  const separator = value.indexOf("\n");
  return [value.slice(0, separator), value.slice(separator + 1)];
}

/** Entry-set members grouped by room. */
export function byRoom(values: string[]): Map<string, string[]> {
  const rooms = new Map<string, string[]>();
  for (const value of values) {
    const [room, connectionId] = split(value);
    const ids = rooms.get(room);
    if (ids === undefined) rooms.set(room, [connectionId]);
    else ids.push(connectionId);
  }
  return rooms;
}

export function chunks<T>(values: T[], size: number = SCRIPT_BATCH): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += size) result.push(values.slice(start, start + size));
  return result;
}

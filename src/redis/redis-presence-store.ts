import type { PresenceMember } from "../protocol/frames.js";
import { groupByUser } from "../presence/presence-store.js";
import type { ExpiredPresenceListener, PresenceEntry, PresenceEntryPage, PresenceStore } from "../presence/presence-store.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { RedisConnections } from "./redis-connections.js";

export interface RedisPresenceOptions {
  /** This node's id; its entries are removed by other nodes once its heartbeat is older than `nodeTtlMs`. */
  node: string;
  /**
   * How long a silent node's entries survive it. Default 4000; the heartbeat runs every
   * quarter of it, so a crashed node's connections leave presence (announced) within
   * about 1.25 × nodeTtlMs: 5 s by default.
   */
  nodeTtlMs?: number;
}

export const DEFAULT_NODE_TTL_MS = 4_000;

/** Replaces an entry only if it still exists, so an update never resurrects a left connection. */
const UPDATE_IF_PRESENT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

interface StoredEntry {
  u: string | null;
  n: string;
  m?: Record<string, unknown>;
}

interface ScriptedClient {
  switchboardPresenceUpdate(key: string, connectionId: string, value: string): Promise<number>;
}

/**
 * A PresenceStore on Redis: one hash per room (connection id → entry), a set of
 * entries per node, and a sorted set of nodes by last heartbeat. Every node
 * heartbeats; any node that sees another's heartbeat older than the TTL removes
 * that node's entries and reports them to `onExpired` listeners, which announce
 * the leaves. Exactly one node wins each cleanup (ZREM returns 1 once).
 *
 * The store also remembers this node's own entries, so when Redis lost them (a
 * restart without persistence, a flush) or another node declared this one dead,
 * the next heartbeat writes them back.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly name = "redis";
  readonly nodeTtlMs: number;
  private readonly connections: RedisConnections;
  private readonly node: string;
  private readonly local = new Map<string, Map<string, PresenceEntry>>();
  private readonly listeners: ExpiredPresenceListener[] = [];
  /** Removals that failed while Redis was away, as "room\nconnectionId". */
  private readonly pendingRemovals = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  /** No sweeping until this time: after (re)connecting, live nodes get one TTL to heartbeat first. */
  private sweepAfter: number;
  private registered = false;
  private closed = false;
  private readonly onReady = (): void => {
    this.sweepAfter = Date.now() + this.nodeTtlMs;
    this.tick().catch(() => undefined);
  };

  constructor(connections: RedisConnections, options: RedisPresenceOptions) {
    this.connections = connections.acquire();
    this.node = options.node;
    this.nodeTtlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
    this.sweepAfter = Date.now() + this.nodeTtlMs;
    connections.commands.defineCommand("switchboardPresenceUpdate", { numberOfKeys: 1, lua: UPDATE_IF_PRESENT });
    connections.commands.on("ready", this.onReady);
    this.timer = setInterval(() => this.tick().catch(() => undefined), Math.max(50, Math.floor(this.nodeTtlMs / 4)));
    this.timer.unref();
    if (connections.commands.status === "ready") this.onReady();
  }

  onExpired(listener: ExpiredPresenceListener): void {
    this.listeners.push(listener);
  }

  async add(room: string, entry: PresenceEntry): Promise<void> {
    this.pendingRemovals.delete(member(room, entry.connectionId));
    let entries = this.local.get(room);
    if (entries === undefined) this.local.set(room, (entries = new Map()));
    entries.set(entry.connectionId, entry);
    await this.write(room, entry);
  }

  async update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean> {
    const key = this.connections.keys.presence(room);
    const commands = await this.client();
    const raw = await commands.hget(key, connectionId);
    if (raw === null) return false;
    const stored = JSON.parse(raw) as StoredEntry;
    if (meta === undefined) delete stored.m;
    else stored.m = meta;
    const localEntry = this.local.get(room)?.get(connectionId);
    if (localEntry !== undefined) {
      if (meta === undefined) delete localEntry.meta;
      else localEntry.meta = meta;
    }
    return (await (commands as unknown as ScriptedClient).switchboardPresenceUpdate(key, connectionId, JSON.stringify(stored))) === 1;
  }

  async remove(room: string, connectionId: string): Promise<void> {
    const entries = this.local.get(room);
    entries?.delete(connectionId);
    if (entries?.size === 0) this.local.delete(room);
    try {
      await this.delete(room, connectionId);
    } catch (error) {
      // Redis is away: retry on a later heartbeat, or the entry would outlive its connection while this node lives.
      this.pendingRemovals.add(member(room, connectionId));
      throw error;
    }
  }

  async members(room: string): Promise<PresenceMember[]> {
    const raw = await (await this.client()).hgetall(this.connections.keys.presence(room));
    return groupByUser(Object.entries(raw).map(([connectionId, value]) => toEntry(connectionId, value)));
  }

  async count(room: string): Promise<number> {
    return (await this.client()).hlen(this.connections.keys.presence(room));
  }

  /**
   * HSCAN underneath. The cursor is "<scan cursor>:<skip>": HSCAN's COUNT is a
   * hint (a small hash comes back whole), so a batch larger than the page is cut
   * and the next page scans the same position again, skipping what was returned.
   */
  async page(room: string, cursor: string | undefined, limit: number): Promise<PresenceEntryPage> {
    let [scan, skip] = parseCursor(cursor);
    const key = this.connections.keys.presence(room);
    const commands = await this.client();
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

  async rooms(): Promise<Array<{ room: string; connections: number }>> {
    const commands = await this.client();
    const names = await commands.zrange(this.connections.keys.presenceRooms(), "0", "-1");
    const counts = await Promise.all(names.map((room) => commands.hlen(this.connections.keys.presence(room))));
    return names.map((room, index) => ({ room, connections: counts[index]! })).filter((row) => row.connections > 0);
  }

  /**
   * Removes this node from the cluster view. Its entries are gone already when its
   * connections closed cleanly; any still held (a cleanup that failed or ran out of
   * time) are removed and announced as leaves through the `onExpired` listeners, so
   * call this before the broker closes. When Redis is away they stay, and the other
   * nodes' sweep removes and announces them once this node's heartbeat is stale.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.connections.commands.off("ready", this.onReady);
    if (this.connections.commands.status === "ready") {
      const keys = this.connections.keys;
      const commands = this.connections.commands;
      try {
        for (const [room, entries] of this.local) {
          for (const entry of entries.values()) {
            // Only the HDEL that removed the entry announces it (another node may be sweeping too).
            if ((await commands.hdel(keys.presence(room), entry.connectionId)) === 1) await this.announce(room, entry);
          }
          if ((await commands.hlen(keys.presence(room))) === 0) await commands.zrem(keys.presenceRooms(), room);
        }
        await Promise.all([commands.zrem(keys.nodes(), this.node), commands.del(keys.nodeEntries(this.node))]);
      } catch {
        // Redis went away meanwhile: what is left is swept and announced by the other nodes.
      }
    }
    this.local.clear();
    await this.connections.release();
  }

  private async announce(room: string, entry: PresenceEntry): Promise<void> {
    await Promise.allSettled(this.listeners.map(async (listener) => listener(room, entry)));
  }

  private async delete(room: string, connectionId: string): Promise<void> {
    const keys = this.connections.keys;
    const commands = await this.client();
    await Promise.all([commands.hdel(keys.presence(room), connectionId), commands.srem(keys.nodeEntries(this.node), member(room, connectionId))]);
    if ((await commands.hlen(keys.presence(room))) === 0) await commands.zrem(keys.presenceRooms(), room);
  }

  private async write(room: string, entry: PresenceEntry): Promise<void> {
    const keys = this.connections.keys;
    const stored: StoredEntry = { u: entry.userId, n: entry.node };
    if (entry.meta !== undefined) stored.m = entry.meta;
    const commands = await this.client();
    await Promise.all([
      commands.hset(keys.presence(room), entry.connectionId, JSON.stringify(stored)),
      commands.sadd(keys.nodeEntries(this.node), member(room, entry.connectionId)),
      commands.zadd(keys.presenceRooms(), 0, room),
    ]);
  }

  /** Heartbeat, then (when allowed) remove the entries of nodes whose heartbeat is older than the TTL. */
  private async tick(): Promise<void> {
    if (this.closed || this.connections.commands.status !== "ready") return;
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    const now = Date.now();
    if (!this.registered) {
      // A previous run with this node id (a restarted worker, a fixed SWITCHBOARD_NODE_ID) may have
      // crashed leaving entries; this run's heartbeat would keep them alive forever, so they go now.
      await this.expireNode(this.node);
    }
    const added = await commands.zadd(keys.nodes(), now, this.node);
    if (Number(added) === 1 && this.registered) {
      // This node was missing from the cluster view: Redis lost it or another node swept it.
      await Promise.all([...this.local].flatMap(([room, entries]) => [...entries.values()].map((entry) => this.write(room, entry))));
    }
    this.registered = true;
    for (const pending of [...this.pendingRemovals]) {
      const separator = pending.indexOf("\n");
      const [room, connectionId] = [pending.slice(0, separator), pending.slice(separator + 1)];
      // Skip it if the connection joined the room again meanwhile.
      if (this.local.get(room)?.has(connectionId) !== true) await this.delete(room, connectionId);
      this.pendingRemovals.delete(pending);
    }
    if (now < this.sweepAfter) return;
    const dead = await commands.zrangebyscore(keys.nodes(), "-inf", now - this.nodeTtlMs);
    for (const node of dead) {
      if (node === this.node || this.closed) continue;
      if ((await commands.zrem(keys.nodes(), node)) !== 1) continue;
      await this.expireNode(node);
    }
  }

  private async expireNode(node: string): Promise<void> {
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    const members = await commands.smembers(keys.nodeEntries(node));
    for (const value of members) {
      const separator = value.indexOf("\n");
      const room = value.slice(0, separator);
      const connectionId = value.slice(separator + 1);
      if (node === this.node && this.local.get(room)?.has(connectionId) === true) continue;
      const raw = await commands.hget(keys.presence(room), connectionId);
      if (raw === null) continue;
      // Only the node whose HDEL removed the entry announces the leave.
      if ((await commands.hdel(keys.presence(room), connectionId)) !== 1) continue;
      if ((await commands.hlen(keys.presence(room))) === 0) await commands.zrem(keys.presenceRooms(), room);
      await this.announce(room, toEntry(connectionId, raw));
    }
    if (node !== this.node) await commands.del(keys.nodeEntries(node));
    else await Promise.all(members.filter((value) => !this.ownsLocally(value)).map((value) => commands.srem(keys.nodeEntries(node), value)));
  }

  private ownsLocally(value: string): boolean {
    const separator = value.indexOf("\n");
    return this.local.get(value.slice(0, separator))?.has(value.slice(separator + 1)) === true;
  }

  private client(): Promise<RedisConnections["commands"]> {
    return this.connections.usableCommands();
  }
}

function parseCursor(cursor: string | undefined): [string, number] {
  if (cursor === undefined) return ["0", 0];
  const match = /^(\d{1,20}):(\d{1,6})$/.exec(cursor);
  if (match === null) throw new SwitchboardError("bad_request", '"cursor" is not a cursor this server returned.');
  return [match[1]!, Number(match[2])];
}

function member(room: string, connectionId: string): string {
  return `${room}\n${connectionId}`;
}

function toEntry(connectionId: string, raw: string): PresenceEntry {
  const stored = JSON.parse(raw) as StoredEntry;
  const entry: PresenceEntry = { connectionId, userId: stored.u, node: stored.n };
  if (stored.m !== undefined) entry.meta = stored.m;
  return entry;
}

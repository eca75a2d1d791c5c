import type { PresenceMember } from "../protocol/frames.js";
import { groupByUser } from "../presence/presence-store.js";
import type { ExpiredPresenceListener, PresenceEntry, PresenceEntryPage, PresenceStore, RestoredPresenceListener } from "../presence/presence-store.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { RedisBroker } from "./redis-broker.js";
import type { RedisConnections } from "./redis-connections.js";
import { TurnBatches } from "../presence/turn-batches.js";
import { scanPage } from "./redis-presence-page.js";
import { RedisNodeNames } from "./redis-node-names.js";
import { ANY_EPOCH, PresenceScripts, byRoom, chunks, member, split, storedValue, toEntry } from "./redis-presence-scripts.js";
import type { StoredEntry } from "./redis-presence-scripts.js";

export interface RedisPresenceOptions {
  /** This node's id; its entries are removed by other nodes once its heartbeat is older than `nodeTtlMs`. */
  node: string;
  /**
   * How long a silent node's entries survive it. Default 4000; the heartbeat runs every
   * quarter of it, so a crashed node's connections leave presence (announced) within
   * about 1.25 × nodeTtlMs: 5 s by default. A node that is late but still connected to
   * Redis (stalled, not gone) gets STALLED_TTL_FACTOR times as long.
   */
  nodeTtlMs?: number;
}

export const DEFAULT_NODE_TTL_MS = 4_000;
/**
 * A node whose heartbeat is late but whose Redis connection is still open (slow, not
 * gone) is swept only after this many TTLs: 20 s by default. A crashed process's
 * connection closes with it, so crashes are still swept after one TTL.
 */
export const STALLED_TTL_FACTOR = 5;

/**
 * A PresenceStore on Redis: one hash per room (connection id → entry), a set of
 * entries per node, and a sorted set of nodes by last heartbeat. Every node
 * heartbeats; any node that sees another's heartbeat older than the TTL claims
 * it (exactly one node wins the claim), removes that node's entries and reports
 * them to `onExpired` listeners.
 *
 * Paired with the node's RedisBroker (`pairWith`, as createRedisBackends does),
 * the store announces those leaves itself, in the same script that removes them.
 * A node that was swept while alive (its heartbeat late under load, or the
 * process paused) finds itself missing from the live set at its next heartbeat,
 * writes its entries back under a new epoch and announces as joins those that
 * were missing — after the sweep's leaves, which were published atomically with
 * the removals it found missing. So every client's list ends equal to the store.
 * The same write-back restores entries Redis lost (a restart without
 * persistence, a flush); their joins repeat what clients already list.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly name = "redis";
  readonly nodeTtlMs: number;
  private readonly connections: RedisConnections;
  private readonly node: string;
  private readonly local = new Map<string, Map<string, PresenceEntry>>();
  private readonly listeners: ExpiredPresenceListener[] = [];
  private readonly restoredListeners: RestoredPresenceListener[] = [];
  /** Removals that failed while Redis was away, as "room\nconnectionId". */
  private readonly pendingRemovals = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  /** No sweeping until this time: after (re)connecting, live nodes get one TTL to heartbeat first. */
  private sweepAfter: number;
  /**
   * The epoch stamped on every entry this node writes: the time of its current
   * registration in the live set, never older than a heartbeat a sweeper saw.
   */
  private epoch: number;
  private lastBeat = 0;
  private readonly scripts: PresenceScripts;
  private registered = false;
  /** The heartbeat in progress: close() waits for it, so that no write-back follows the final cleanup. */
  private beating: Promise<void> | undefined;
  private sweeping = false;
  private closed = false;
  private readonly names: RedisNodeNames;
  private readonly writes = new TurnBatches<string, number>((room, ids) => this.writeBatch(room, ids));
  private readonly onReady = (): void => {
    this.sweepAfter = Date.now() + this.nodeTtlMs;
    this.names.register(this.node).catch(() => undefined);
    this.tick().catch(() => undefined);
  };

  constructor(connections: RedisConnections, options: RedisPresenceOptions) {
    this.connections = connections.acquire();
    this.node = options.node;
    this.nodeTtlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
    this.sweepAfter = Date.now() + this.nodeTtlMs;
    this.epoch = Date.now();
    this.scripts = new PresenceScripts(connections, this.node);
    this.names = new RedisNodeNames(connections);
    const commands = connections.commands;
    commands.on("ready", this.onReady);
    this.timer = setInterval(() => this.tick().catch(() => undefined), Math.max(50, Math.floor(this.nodeTtlMs / 4)));
    this.timer.unref();
    if (commands.status === "ready") this.onReady();
  }

  /** True once paired: the leaves of expired entries and the joins of restored ones are published by the store. */
  get announcesExpired(): boolean {
    return this.scripts.paired;
  }

  /** Lets the store publish presence batches on the rooms' channels of this broker, atomically with its writes. */
  pairWith(broker: RedisBroker): void {
    this.scripts.pairWith(broker);
  }

  onExpired(listener: ExpiredPresenceListener): void {
    this.listeners.push(listener);
  }

  onRestored(listener: RestoredPresenceListener): void {
    this.restoredListeners.push(listener);
  }

  /**
   * Resolves with the room's count after the add. The adds and removals of one room in one
   * turn of the event loop are written together (see writeBatch): a join storm costs Redis
   * a few commands per room and turn, not four per join.
   */
  async add(room: string, entry: PresenceEntry): Promise<number> {
    this.pendingRemovals.delete(member(room, entry.connectionId));
    let entries = this.local.get(room);
    if (entries === undefined) this.local.set(room, (entries = new Map()));
    entries.set(entry.connectionId, entry);
    const count = await this.writes.add(room, entry.connectionId);
    if (this.closed) throw new SwitchboardError("unavailable", "The presence store is closed.");
    return count;
  }

  async update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean> {
    const key = this.connections.keys.presence(room);
    const commands = await this.client();
    const localEntry = this.local.get(room)?.get(connectionId);
    if (localEntry !== undefined) {
      if (meta === undefined) delete localEntry.meta;
      else localEntry.meta = meta;
      // Present as far as this node knows: written even when a sweep removed it meanwhile (its leave is out already,
      // and this update's announcement comes after it). Built and sent in one step with the current epoch, so an
      // old epoch is never stamped over a write-back.
      await commands.hset(key, connectionId, storedValue(localEntry, this.epoch));
      return true;
    }
    const raw = await commands.hget(key, connectionId);
    if (raw === null) return false;
    const stored = JSON.parse(raw) as StoredEntry;
    if (meta === undefined) delete stored.m;
    else stored.m = meta;
    return this.scripts.updateIfPresent(commands, room, connectionId, JSON.stringify(stored));
  }

  async remove(room: string, connectionId: string): Promise<void> {
    const entries = this.local.get(room);
    entries?.delete(connectionId);
    if (entries?.size === 0) this.local.delete(room);
    try {
      await this.writes.add(room, connectionId);
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

  /** HSCAN underneath: see scanPage. */
  async page(room: string, cursor: string | undefined, limit: number): Promise<PresenceEntryPage> {
    return scanPage(await this.client(), this.connections.keys.presence(room), cursor, limit);
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
   * time) are removed and announced as leaves (through the `onExpired` listeners,
   * and by the store itself when paired), so call this before the broker closes.
   * When Redis is away they stay, and the other nodes' sweep removes and announces
   * them once this node's heartbeat is stale.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.connections.commands.off("ready", this.onReady);
    await this.beating;
    if (this.connections.commands.status === "ready") {
      const keys = this.connections.keys;
      const commands = this.connections.commands;
      try {
        for (const [room, entries] of this.local) await this.sweepRoom(room, this.node, ANY_EPOCH, [...entries.keys()]);
        await Promise.all([commands.zrem(keys.nodes(), this.node), commands.del(keys.nodeEntries(this.node))]);
      } catch {
        // Redis went away meanwhile: what is left is swept and announced by the other nodes.
      }
    }
    this.local.clear();
    await this.connections.release();
  }

  private async announce(room: string, entry: PresenceEntry): Promise<void> {
    await Promise.allSettled(notify(this.listeners, room, entry));
  }

  /**
   * Writes a room's adds and removals of one turn: each connection as the local map holds it
   * now (present: written, stamped with the current epoch; absent: removed), so a leave and a
   * rejoin in one turn end as the last of them. The waiters resume in the order they asked,
   * so a leave is still announced before the rejoin that followed it. One connection, so
   * Redis runs the commands in this order and the count (sent last) includes them.
   */
  private async writeBatch(room: string, ids: string[]): Promise<number> {
    const commands = await this.client();
    const held = this.local.get(room);
    const unique = [...new Set(ids)];
    // Checked right before the commands go out: close() swept what is held, and nothing may be written after it.
    const present = this.closed ? [] : unique.flatMap((id) => held?.get(id) ?? []);
    const gone = unique.filter((id) => held?.has(id) !== true);
    return this.scripts.writeRoom(commands, room, present, gone, this.epoch);
  }

  private async delete(room: string, connectionId: string): Promise<void> {
    const keys = this.connections.keys;
    const commands = await this.client();
    await Promise.all([commands.hdel(keys.presence(room), connectionId), commands.srem(keys.nodeEntries(this.node), member(room, connectionId))]);
    if ((await commands.hlen(keys.presence(room))) === 0) await commands.zrem(keys.presenceRooms(), room);
  }

  /**
   * Heartbeat (writing entries back when this node was found missing), then sweep the
   * nodes whose heartbeat is older than the TTL. Each part runs alone: on a slow Redis a
   * tick never piles onto the last one, and a long sweep never delays this node's heartbeat.
   */
  private async tick(): Promise<void> {
    if (this.closed || this.connections.commands.status !== "ready") return;
    // A failed part is retried on the next tick (Redis away or slow); neither may reject unobserved.
    const sweep = this.sweeping ? undefined : this.sweep().catch(() => undefined).finally(() => (this.sweeping = false));
    if (sweep !== undefined) this.sweeping = true;
    if (this.beating === undefined) {
      this.beating = this.heartbeat()
        .catch(() => undefined)
        .finally(() => (this.beating = undefined));
      await this.beating;
    }
    await sweep;
  }

  private async heartbeat(): Promise<void> {
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    // A previous run with this node id (a restarted worker, a fixed SWITCHBOARD_NODE_ID) may have
    // crashed leaving entries; this run's heartbeat would keep them alive forever, so they go now.
    if (!this.registered) await this.sweepLeftovers();
    // Strictly increasing: a write-back's epoch must be newer than any heartbeat a sweeper saw.
    const score = Math.max(Date.now(), this.lastBeat + 1, this.epoch);
    // PERSIST: a sweeper lets a dead node's entry set expire; this node is alive, so it keeps it.
    const [added] = await Promise.all([commands.zadd(keys.nodes(), score, this.node), commands.persist(keys.nodeEntries(this.node))]);
    this.lastBeat = score;
    if (Number(added) === 1 && this.registered) {
      // This node was missing from the cluster view: another node swept it, or Redis lost it.
      this.epoch = score;
      await this.restore();
    }
    this.registered = true;
    for (const pending of [...this.pendingRemovals]) {
      const [room, connectionId] = split(pending);
      // Skip it if the connection joined the room again meanwhile.
      if (this.local.get(room)?.has(connectionId) !== true) await this.delete(room, connectionId);
      this.pendingRemovals.delete(pending);
    }
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now < this.sweepAfter) return;
    const cutoff = now - this.nodeTtlMs;
    const late = (await this.connections.commands.zrangebyscore(this.connections.keys.nodes(), "-inf", cutoff)).filter((node) => node !== this.node);
    if (late.length === 0) return;
    // A late node whose connection is still open is slow, not gone: it gets STALLED_TTL_FACTOR times the TTL.
    const open = await this.names.connected();
    for (const node of late) {
      if (this.closed) return;
      const lastBeat = await this.scripts.claim(node, open?.has(node) === true ? now - STALLED_TTL_FACTOR * this.nodeTtlMs : cutoff);
      if (lastBeat !== null) await this.sweepNode(node, lastBeat);
    }
  }

  /** Removes (and announces) the entries of a node this one claimed, up to the epoch of its last heartbeat. */
  private async sweepNode(node: string, maxEpoch: string): Promise<void> {
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    for (const [room, ids] of byRoom(await commands.smembers(keys.nodeEntries(node)))) await this.sweepRoom(room, node, maxEpoch, ids);
    // Not deleted: if the node is alive after all, its entries written back are tracked here again, and it keeps the set (PERSIST).
    await commands.pexpire(keys.nodeEntries(node), 10 * this.nodeTtlMs);
  }

  /** This node's entries left by a previous run with the same id: everything it does not hold now. */
  private async sweepLeftovers(): Promise<void> {
    const keys = this.connections.keys;
    const commands = this.connections.commands;
    const stale = (await commands.smembers(keys.nodeEntries(this.node))).filter((value) => !this.ownsLocally(value));
    for (const [room, ids] of byRoom(stale)) await this.sweepRoom(room, this.node, ANY_EPOCH, ids);
    for (const values of chunks(stale)) await commands.srem(keys.nodeEntries(this.node), ...values);
  }

  private sweepRoom(room: string, node: string, maxEpoch: string, ids: string[]): Promise<void> {
    return this.scripts.sweepRoom(room, node, maxEpoch, ids, (entry) => this.announce(room, entry));
  }

  /**
   * Writes every local entry back under the current epoch; the script announces the
   * joins of those that were missing. Each room's entries are taken from the local
   * map and sent in the same synchronous step, so a leave that happens meanwhile is
   * either in the batch (and its removal comes after it) or not at all.
   */
  private async restore(): Promise<void> {
    const commands = this.connections.commands;
    const restored = await Promise.all([...this.local].map(async ([room, entries]) => ({ room, missing: await this.scripts.restoreRoom(room, [...entries.values()], this.epoch) })));
    // After the writes: a listener's own announcement (a cluster event) follows the store's joins.
    // All at once, not one after another: the heartbeat waits for them, and a node of 14,000 entries
    // must not spend 14,000 broker round trips before it next heartbeats.
    await Promise.allSettled(restored.flatMap(({ room, missing }) => missing.flatMap((entry) => notify(this.restoredListeners, room, entry))));
    // Entries swept and since left are still listed in the set; a later sweep need not look at them.
    const stale = (await commands.smembers(this.connections.keys.nodeEntries(this.node))).filter((value) => !this.ownsLocally(value));
    for (const values of chunks(stale)) await commands.srem(this.connections.keys.nodeEntries(this.node), ...values);
  }

  private ownsLocally(value: string): boolean {
    const [room, connectionId] = split(value);
    return this.local.get(room)?.has(connectionId) === true;
  }

  private client(): Promise<RedisConnections["commands"]> {
    return this.connections.usableCommands();
  }
}

/** Runs each listener for one entry; a throw or rejection becomes that listener's rejected promise, never the caller's. */
function notify(listeners: ReadonlyArray<ExpiredPresenceListener | RestoredPresenceListener>, room: string, entry: PresenceEntry): Array<Promise<unknown>> {
  return listeners.map(async (listener) => listener(room, entry));
}

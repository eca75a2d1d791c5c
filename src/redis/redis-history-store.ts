import { randomBytes } from "node:crypto";
import { roomTopic } from "../broker/broker.js";
import type { Broker } from "../broker/broker.js";
import { sendAppended } from "../history/history-store.js";
import type { HistoryPage, HistoryPolicy, HistoryStore, PublishedMessage, StoredMessage, StreamPublication } from "../history/history-store.js";
import type { RecoveryPosition } from "../protocol/frames.js";
import { RedisBroker } from "./redis-broker.js";
import type { RedisClient, RedisConnections } from "./redis-connections.js";
import { roomEnvelopeHeaderTail } from "./redis-envelope.js";

/** A room that was joined but never published to keeps its epoch this long (as in memory). */
const EMPTY_STREAM_TTL_MS = 3_600_000;

/**
 * Creates the room's counter with a fresh epoch when it is missing (never used,
 * expired, or lost with a Redis flush or restart), dropping any stale stream so
 * that offsets of two epochs never mix.
 */
const ENSURE_META = `
local meta, stream = KEYS[1], KEYS[2]
if redis.call('EXISTS', meta) == 0 then
  redis.call('HSET', meta, 'epoch', ARGV[1], 'offset', 0)
  redis.call('PEXPIRE', meta, ${EMPTY_STREAM_TTL_MS})
  redis.call('DEL', stream)
end
`;

/**
 * Assigns the next offset, seals the frame, stores it in the room's stream under
 * id 0-<offset>, and (when a channel is given) publishes the envelope, all in one
 * atomic step: two nodes publishing to one room can never have their offsets
 * delivered out of order.
 * ARGV: epoch candidate, frame head, size, ttl ms, expires-at ms, channel or "",
 * envelope header tail, PUBLISH or SPUBLISH.
 */
const APPEND_SCRIPT = `${ENSURE_META}
local offset = redis.call('HINCRBY', meta, 'offset', 1)
local epoch = redis.call('HGET', meta, 'epoch')
local frame = ARGV[2] .. offset .. ',"epoch":"' .. epoch .. '"}'
local size = tonumber(ARGV[3])
if size > 0 then
  redis.call('XADD', stream, 'MAXLEN', size, '0-' .. offset, 'f', frame, 'e', ARGV[5])
  redis.call('PEXPIRE', stream, ARGV[4])
end
redis.call('PEXPIRE', meta, ARGV[4])
if ARGV[6] ~= '' then
  redis.call(ARGV[8], ARGV[6], '{"o":' .. offset .. ',' .. ARGV[7] .. '\\n' .. frame)
end
return {offset, epoch, frame}
`;

/**
 * Reads the room's position and, by mode, nothing, the newest COUNT entries
 * ("tail", newest first) or COUNT entries after an offset ("after").
 * ARGV: epoch candidate, mode, after-offset, count.
 */
const READ_SCRIPT = `${ENSURE_META}
local state = redis.call('HMGET', meta, 'offset', 'epoch')
local entries = {}
if ARGV[2] == 'tail' then
  entries = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', ARGV[4])
elseif ARGV[2] == 'after' then
  entries = redis.call('XRANGE', stream, '(0-' .. ARGV[3], '+', 'COUNT', ARGV[4])
end
return {state[1], state[2], entries}
`;

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [offset: string, epoch: string, entries: StreamEntry[]];
type AppendReply = [offset: number, epoch: string, frame: string];

interface ScriptedClient {
  switchboardAppend(meta: string, stream: string, ...args: string[]): Promise<AppendReply>;
  switchboardRead(meta: string, stream: string, ...args: string[]): Promise<ReadReply>;
}

/**
 * A HistoryStore on Redis Streams: each room has a capped stream of sealed
 * message frames (id 0-<offset>, field e = expiry time) and a counter hash with
 * the offset and epoch. Both expire after the room's history TTL without traffic.
 * Messages past their own TTL are filtered on read.
 *
 * Atomicity of `publish`: with a RedisBroker on the same connections (what
 * createRedisBackends builds) the append and the PUBLISH/SPUBLISH are one script,
 * so every node receives a room's offsets in order, whichever nodes publish. With
 * any other broker the store appends, then hands the frame to that broker.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly name = "redis";
  private readonly connections: RedisConnections;

  constructor(connections: RedisConnections) {
    this.connections = connections.acquire();
    const client = connections.commands;
    // defineCommand is idempotent per name; the stores share one commands connection.
    client.defineCommand("switchboardAppend", { numberOfKeys: 2, lua: APPEND_SCRIPT });
    client.defineCommand("switchboardRead", { numberOfKeys: 2, lua: READ_SCRIPT });
  }

  publish(room: string, publication: StreamPublication, broker: Broker): Promise<PublishedMessage> {
    const { head, policy, except, sentAt } = publication;
    if (broker instanceof RedisBroker && broker.sharesConnections(this.connections)) {
      const channel = this.connections.keys.channel(roomTopic(room));
      return this.run(room, head, policy, channel, roomEnvelopeHeaderTail(broker.node, room, except, sentAt), broker.sharded ? "SPUBLISH" : "PUBLISH");
    }
    return this.run(room, head, policy, "", "", "PUBLISH").then((appended) => sendAppended(broker, room, appended, publication));
  }

  async position(room: string): Promise<RecoveryPosition> {
    const [offset, epoch] = await this.read_(room, "none", 0, 0);
    return { offset: Number(offset), epoch };
  }

  async read(room: string, since: RecoveryPosition | undefined, limit: number): Promise<HistoryPage> {
    const now = Date.now();
    if (since === undefined) {
      const [offset, epoch, entries] = await this.read_(room, "tail", 0, limit);
      const messages = kept(entries, now).reverse();
      return { messages, offset: Number(offset), epoch, complete: true };
    }
    // One more than asked for tells whether the page holds everything.
    const [offsetText, epoch, entries] = await this.read_(room, "after", since.offset, limit + 1);
    const offset = Number(offsetText);
    if (since.epoch !== epoch || since.offset > offset) return { messages: [], offset, epoch, complete: false };
    const missed = kept(entries, now);
    const firstNeeded = since.offset + 1;
    const covered = firstNeeded > offset || (missed.length > 0 && missed[0]!.offset === firstNeeded);
    return { messages: missed.slice(0, limit), offset, epoch, complete: covered && missed.length <= limit };
  }

  async close(): Promise<void> {
    await this.connections.release();
  }

  private async run(room: string, head: string, policy: HistoryPolicy, channel: string, headerTail: string, command: string): Promise<PublishedMessage> {
    const client = (await this.connections.usableCommands()) as RedisClient & ScriptedClient;
    const keys = this.connections.keys;
    const expiresAt = Date.now() + policy.ttlMs;
    const [offset, epoch, frame] = await client.switchboardAppend(keys.historyMeta(room), keys.historyStream(room), newEpoch(), head, String(policy.size), String(policy.ttlMs), String(expiresAt), channel, headerTail, command);
    return { offset: Number(offset), epoch, frame };
  }

  private async read_(room: string, mode: "none" | "tail" | "after", after: number, count: number): Promise<ReadReply> {
    const client = (await this.connections.usableCommands()) as RedisClient & ScriptedClient;
    const keys = this.connections.keys;
    return client.switchboardRead(keys.historyMeta(room), keys.historyStream(room), newEpoch(), mode, String(after), String(count));
  }
}

function newEpoch(): string {
  return randomBytes(6).toString("base64url");
}

/** Stream entries still within their TTL, as stored messages, in the given order. */
function kept(entries: StreamEntry[], now: number): StoredMessage[] {
  const messages: StoredMessage[] = [];
  for (const [id, fields] of entries) {
    let frame = "";
    let expiresAt = 0;
    for (let index = 0; index < fields.length; index += 2) {
      if (fields[index] === "f") frame = fields[index + 1]!;
      else if (fields[index] === "e") expiresAt = Number(fields[index + 1]);
    }
    if (expiresAt > now) messages.push({ offset: Number(id.slice(2)), frame });
  }
  return messages;
}

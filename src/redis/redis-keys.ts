/**
 * Redis names used by Switchboard. Everything of one room shares the hash tag
 * `{room:<name>}`, so that on Redis Cluster a room's channel, history stream and
 * counter live in one slot and a script can touch them together. Room names
 * cannot contain braces (see protocol/room-name.ts), so the tag is unambiguous.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix = "switchboard:") {
    if (/[{}]/.test(prefix)) throw new TypeError(`The Redis key prefix must not contain braces (they would change the hash tag), got ${prefix}`);
    this.prefix = prefix;
  }

  /** The pub/sub channel of a broker topic ("nodes", "room:<name>"). */
  channel(topic: string): string {
    return `${this.prefix}{${topic}}`;
  }

  /** The broker topic of a channel, or undefined for a channel that is not ours. */
  topicOf(channel: string): string | undefined {
    if (!channel.startsWith(this.prefix) || channel.charCodeAt(this.prefix.length) !== 123 || !channel.endsWith("}")) return undefined;
    return channel.slice(this.prefix.length + 1, -1);
  }

  /** A room's history stream: entries with id `0-<offset>`. */
  historyStream(room: string): string {
    return `${this.prefix}{room:${room}}:history`;
  }

  /** A room's history counter: a hash with `offset` and `epoch`. */
  historyMeta(room: string): string {
    return `${this.prefix}{room:${room}}:meta`;
  }

  /** A room's presence entries: a hash of connection id to entry JSON. */
  presence(room: string): string {
    return `${this.prefix}{room:${room}}:presence`;
  }

  /** Rooms with present members: a sorted set of room names (score unused). */
  presenceRooms(): string {
    return `${this.prefix}presence:rooms`;
  }

  /** Presence entries one node owns, as "room\nconnectionId" members, for cleanup after a crash. */
  nodeEntries(node: string): string {
    return `${this.prefix}node:${node}:entries`;
  }

  /** Live nodes: a sorted set of node id by the time of its last heartbeat. */
  nodes(): string {
    return `${this.prefix}nodes`;
  }
}

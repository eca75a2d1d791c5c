import type { RedisConnections } from "./redis-connections.js";

/**
 * A late heartbeat has two causes that call for opposite answers: the node is
 * gone (its process exited, so the kernel closed its socket and Redis dropped
 * the connection at once), or it is alive but slow (a saturated core, a long
 * event-loop stall), with its connection still open. Sweeping a slow node
 * announces all its members leaving and, a moment later, joining again; under
 * load that repeats on every stall. So each node names its commands connection
 * (CLIENT SETNAME), and a sweeper that sees a late node's connection still open
 * waits longer before it sweeps (a host that vanished keeps its connection open
 * in Redis until TCP keepalive gives up, so open is not proof of life forever).
 *
 * Standalone Redis only: on a Redis Cluster a node's connections are spread
 * over the shards, and where CLIENT is disabled (some managed services) the
 * sweep falls back to the heartbeat alone.
 */
export class RedisNodeNames {
  private usable: boolean;

  constructor(private readonly connections: RedisConnections) {
    this.usable = !connections.isCluster;
  }

  /** Names this node's commands connection; call on every (re)connect. */
  async register(node: string): Promise<void> {
    if (!this.usable) return;
    try {
      await this.connections.commands.client("SETNAME", this.nameOf(node));
    } catch {
      this.usable = false;
    }
  }

  /** The nodes of this deployment with an open commands connection, or undefined when Redis cannot tell. */
  async connected(): Promise<Set<string> | undefined> {
    if (!this.usable) return undefined;
    let list: string;
    try {
      list = String(await this.connections.commands.client("LIST", "TYPE", "NORMAL"));
    } catch {
      this.usable = false;
      return undefined;
    }
    const nodes = new Set<string>();
    const prefix = this.nameOf("");
    for (const match of list.matchAll(/(?:^| )name=(\S*)/gm)) {
      const name = match[1]!;
      if (name.startsWith(prefix)) nodes.add(decodeURIComponent(name.slice(prefix.length)));
    }
    return nodes;
  }

  /** Client names allow no spaces or newlines: node ids and the key prefix are percent-encoded. */
  private nameOf(node: string): string {
    return `switchboard:${encodeURIComponent(this.connections.keys.prefix)}:${encodeURIComponent(node)}`;
  }
}

import type { AuthOptions } from "../auth/authenticator.js";
import type { Broker } from "../broker/broker.js";
import type { ClusterOptions } from "../cluster/types.js";
import type { HistoryLimits } from "../history/history-limits.js";
import type { HistoryStore } from "../history/history-store.js";
import type { Logger } from "../log/logger.js";
import type { PresenceStore } from "../presence/presence-store.js";
import type { ProtectionOptions } from "../protection/protection-options.js";
import type { RoomPolicyOptions } from "../rooms/room-policy.js";
import type { RoomAccessHook } from "./commands.js";
import type { SwitchboardObserver } from "../protection/observer.js";

export interface SwitchboardOptions {
  /** WebSocket path for `attach()` and `listen()`. Default "/ws". */
  path?: string;
  /** This node's id, unique in a cluster. Default: a random id. */
  nodeId?: string;
  auth?: AuthOptions;
  broker?: Broker;
  presence?: PresenceStore;
  history?: HistoryStore;
  /** The memory budget of the default in-memory history store (bytes per room and per node, vacant-room TTL); see docs/protection.md. */
  historyLimits?: HistoryLimits;
  /** Room policies by name pattern; the first match wins, before the built-in `user:{id}` and `private:{a}:{b}`. */
  rooms?: RoomPolicyOptions[];
  /** Presence changes of a room reach its members coalesced into at most one frame per this many ms. Default 100. */
  presenceIntervalMs?: number;
  /** When false, joining a room leaves the previous one. Default true. */
  multipleRooms?: boolean;
  maxRoomNameLength?: number;
  /** Runs after the room policy allows a join. */
  canJoin?: RoomAccessHook;
  /** Runs after the room policy allows a publish. */
  canPublish?: RoomAccessHook;
  /** Interval of protocol pings; a connection that misses one is terminated. Default 25000. */
  heartbeatMs?: number;
  /** Close connections that send no frame for this long, with 1000. 0 (default) disables. */
  idleTimeoutMs?: number;
  /** Largest inbound frame in bytes; larger closes the connection with 1009. Default 65536. */
  maxPayload?: number;
  /** How long `close()` waits for connections to close before terminating them. Default 5000. */
  shutdownTimeoutMs?: number;
  logger?: Logger;
  logLevel?: string;
  /** Instrumentation hooks (the Prometheus metrics implement them). */
  observer?: SwitchboardObserver;
  /** Limits against hostile or broken clients (rates, caps, origins, slow consumers); see docs/protection.md. */
  protection?: ProtectionOptions;
  /** Server-side events across nodes (`sb.cluster`): emit-to-self, lifecycle events, per-subscriber backlog. */
  cluster?: ClusterOptions;
}

export interface ResolvedOptions {
  path: string;
  nodeId: string | undefined;
  multipleRooms: boolean;
  maxRoomNameLength: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  maxPayload: number;
  shutdownTimeoutMs: number;
  presenceIntervalMs: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(`Switchboard option "${name}" must be ${allowZero ? "a non-negative" : "a positive"} integer, got ${String(value)}`);
  }
  return value;
}

/** Validates options once, at the edge, with messages that name the setting. */
export function resolveOptions(options: SwitchboardOptions): ResolvedOptions {
  const path = options.path ?? "/ws";
  if (!path.startsWith("/")) throw new TypeError(`Switchboard option "path" must start with "/", got ${path}`);
  if (options.nodeId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(options.nodeId)) {
    throw new TypeError('Switchboard option "nodeId" must be 1-64 letters, digits, "_", "." or "-"');
  }
  if (options.multipleRooms !== undefined && typeof options.multipleRooms !== "boolean") throw new TypeError(`Switchboard option "multipleRooms" must be a boolean, got ${String(options.multipleRooms)}`);
  for (const hook of ["canJoin", "canPublish"] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== "function") throw new TypeError(`Switchboard option "${hook}" must be a function (subject, room) => boolean | Promise<boolean>`);
  }
  return {
    path,
    nodeId: options.nodeId,
    multipleRooms: options.multipleRooms ?? true,
    maxRoomNameLength: positiveInteger("maxRoomNameLength", options.maxRoomNameLength, 128),
    heartbeatMs: positiveInteger("heartbeatMs", options.heartbeatMs, 25_000),
    idleTimeoutMs: positiveInteger("idleTimeoutMs", options.idleTimeoutMs, 0, true),
    maxPayload: positiveInteger("maxPayload", options.maxPayload, 65_536),
    shutdownTimeoutMs: positiveInteger("shutdownTimeoutMs", options.shutdownTimeoutMs, 5_000),
    presenceIntervalMs: positiveInteger("presenceIntervalMs", options.presenceIntervalMs, 100),
  };
}

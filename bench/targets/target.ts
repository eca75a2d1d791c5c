/** What every server under test is started with. */
export interface ServerConfig {
  target: TargetName;
  /** HS256 secret: when set, every connection must carry a valid JWT. */
  jwtSecret?: string;
  /** Switchboard only: a Redis URL for the multi-node scenario. */
  redisUrl?: string;
  nodeId?: string;
  /** Switchboard only: keep the default slow-consumer bound (1 MiB, 5 s grace) instead of the bench's raised one. */
  defaultSlowConsumers?: boolean;
}

export type TargetName = "switchboard" | "socketio" | "ws";
export const TARGETS: readonly TargetName[] = ["switchboard", "socketio", "ws"];

/** A started server: the port it listens on and how to stop it. */
export interface RunningTarget {
  port: number;
  close(): Promise<void>;
}

/** The room names every scenario uses; Switchboard's bench policy matches them. */
export const ROOM_PREFIX = "bench:";

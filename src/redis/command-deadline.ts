import type { Cluster, Command, Redis } from "ioredis";

interface Sent {
  command: Command;
  sentAt: number;
}

/** Commands this module already watches: ioredis sends a command again after a reconnect, and its wait counts from the first send. */
const watched = new WeakSet<Command>();

/**
 * Fails a command with "Command timed out" once Redis has said nothing on its
 * connection for `timeoutMs` since the command was sent, and only after the
 * event loop has read what arrived. This replaces ioredis's `commandTimeout`,
 * a plain timer per command, which measures the node rather than Redis: a node
 * that is busy for seconds (a join storm read in one turn, on a shared core)
 * runs its due timers before it reads the replies already in its socket, and a
 * node with a deep pipeline waits for replies that Redis is sending as fast as
 * it can. Both refused joins with `unavailable` while Redis was answering.
 *
 * Here, when a deadline passes, the verdict waits for a setImmediate (which runs
 * after the I/O phase of that turn), and a command fails only if no byte came
 * from Redis on its connection since it was sent, or in the last `timeoutMs`:
 * a stalled Redis (paused, blocked in a script, its host gone) still fails every
 * waiting command about `timeoutMs` after it was sent, while a connection whose
 * replies keep coming fails none. A Cluster is watched per node connection.
 */
export function applyCommandDeadline(client: Redis | Cluster, timeoutMs: number): void {
  if (client.isCluster) (client as Cluster).on("+node", (node: Redis) => watch(node, timeoutMs));
  else watch(client as Redis, timeoutMs);
}

function watch(redis: Redis, timeoutMs: number): void {
  // In the order sent, which is the order Redis answers on one connection.
  let sent: Sent[] = [];
  let head = 0;
  let heardAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const heard = (): void => {
    heardAt = performance.now();
  };
  const dropSettled = (): void => {
    while (head < sent.length && sent[head]!.command.isSettled) head++;
    if (head === sent.length) {
      sent = [];
      head = 0;
    } else if (head > 1_024 && head * 2 > sent.length) {
      sent = sent.slice(head);
      head = 0;
    }
  };
  /** `firedAt`: when the timer fired; the I/O phase since then has been read, so only a deadline passed by then is a verdict. */
  const check = (firedAt: number): void => {
    // A send in the meantime may have armed a later timer; the oldest command's deadline decides.
    clearTimeout(timer);
    timer = undefined;
    dropSettled();
    while (head < sent.length) {
      const oldest = sent[head]!;
      if (!oldest.command.isSettled) {
        const deadline = Math.max(oldest.sentAt, heardAt) + timeoutMs;
        if (deadline > firedAt) {
          arm(deadline - performance.now());
          return;
        }
        oldest.command.reject(new Error("Command timed out"));
      }
      head++;
    }
    dropSettled();
  };
  const expire = (): void => {
    timer = undefined;
    const firedAt = performance.now();
    // After this turn's I/O: a reply that arrived while the node was busy is read before the verdict.
    setImmediate(() => check(firedAt));
  };
  const arm = (delay: number): void => {
    timer = setTimeout(expire, Math.max(1, Math.ceil(delay)));
    timer.unref();
  };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Command, stream?: Parameters<Redis["sendCommand"]>[1]): unknown => {
    if (!watched.has(command)) {
      watched.add(command);
      dropSettled();
      sent.push({ command, sentAt: performance.now() });
      if (timer === undefined) arm(timeoutMs);
    }
    return send(command, stream);
  };
  // Each connection has a new stream; any byte on it is Redis answering.
  redis.on("connect", () => redis.stream.on("data", heard));
}

import type { ChildProcess } from "node:child_process";

/** One request to a bench child process over its IPC channel. */
export interface Request {
  id: number;
  op: string;
  args?: unknown;
}

interface Response {
  id: number;
  result?: unknown;
  error?: string;
}

/** The parent's side: numbered requests, each answered once. */
export class RpcClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(readonly child: ChildProcess, readonly name: string) {
    child.on("message", (message: Response) => {
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    child.on("exit", (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Sends `op` and waits for its answer, at most `timeoutMs`. */
  call<T>(op: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: "${op}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, op, args } satisfies Request);
    });
  }
}

/** The child's side: runs the handler named by each request and sends back its result. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  process.on("message", (message: Request) => {
    const handler = handlers[message.op];
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown op ${message.op}`);
        return handler(message.args as never);
      })
      .then(
        (result) => process.send?.({ id: message.id, result: result ?? null }),
        (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  // The parent going away (crash, Ctrl-C) must not leave load running.
  process.on("disconnect", () => process.exit(0));
}

/** CPU time of this process in microseconds (user + system). */
export function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

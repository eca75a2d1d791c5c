import type { ConnectionState, StateInfo, SwitchboardClient } from "switchboard/client";

/** Fast retries for tests; the defaults (500 ms doubling to 30 s) are for real networks. */
export const FAST_RECONNECT = { initialDelayMs: 20, maxDelayMs: 200 } as const;

/** Records every state change of a client, and waits for the next one that matches. */
export class StateLog {
  readonly entries: Array<{ state: ConnectionState; info: StateInfo }> = [];

  constructor(client: SwitchboardClient<object, object>) {
    client.on("state", (state, info) => this.entries.push({ state, info }));
  }

  states(): ConnectionState[] {
    return this.entries.map((entry) => entry.state);
  }

  /** Resolves with the first entry from index `from` on in state `state`. */
  async wait(state: ConnectionState, from = 0, timeoutMs = 10_000): Promise<{ state: ConnectionState; info: StateInfo; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.entries.findIndex((entry, position) => position >= from && entry.state === state);
      if (index !== -1) return { ...this.entries[index]!, index };
      if (Date.now() > deadline) throw new Error(`no "${state}" state within ${timeoutMs} ms; saw ${JSON.stringify(this.entries)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Resolves when the client is connected (now or later). */
export async function connected(client: SwitchboardClient<object, object>, timeoutMs = 10_000): Promise<void> {
  if (client.state === "connected") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms (state ${client.state})`)), timeoutMs);
    const off = client.on("state", (state) => {
      if (state !== "connected") return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

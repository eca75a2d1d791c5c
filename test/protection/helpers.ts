import { connect } from "../support/client.js";
import type { TestClient } from "../support/client.js";
import type { TestServer } from "../support/server.js";
import type { SwitchboardOptions } from "switchboard";
import type { IncomingMessage } from "node:http";

/**
 * A well-behaved client beside an attacker: it sits in a room and must keep
 * receiving what the server publishes there.
 */
export async function bystander(server: TestServer, room = "lobby:bystander"): Promise<{ client: TestClient; assertServed(): Promise<void> }> {
  const client = await connect(server.url, { headers: { "x-test-user": "bystander" } });
  await client.ok({ type: "join", room });
  let sequence = 0;
  return {
    client,
    async assertServed() {
      const marker = `still-served-${++sequence}`;
      await server.sb.to(room).emit("notice", { marker });
      await client.next((frame) => frame.type === "notice" && (frame.data as { marker?: string }).marker === marker, 5_000);
      const pong = await client.request({ type: "ping" }, 5_000);
      if (pong.type !== "pong") throw new Error(`bystander got ${JSON.stringify(pong)} instead of pong`);
    },
  };
}

/** Auth for tests: the user id comes from the `x-test-user` header (no header: anonymous). */
export const headerAuth: NonNullable<SwitchboardOptions["auth"]> = {
  authenticate: (request: IncomingMessage) => {
    const user = request.headers["x-test-user"];
    return { userId: typeof user === "string" ? user : null, claims: {} };
  },
};

/** Resolves when `predicate` holds, polling; rejects after a generous deadline. */
export async function eventually(predicate: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// A Node client: `import { connect } from "switchboard/client"` (Node 20 uses the `ws` package).
// Run: SWITCHBOARD_URL=ws://localhost:8080/ws npx tsx examples/node-client.ts
import { connect } from "switchboard/client";
import type { SwitchboardClient } from "switchboard/client";

/** Server-pushed events this app expects, and the requests it makes. */
export interface Events {
  match_found: { matchId: string; players: string[] };
}
export interface Requests {
  "lobby:create": { data: { name: string }; reply: { room: string } };
}

export interface ChatMessage {
  text: string;
}

export async function runNodeClient(url: string, token?: () => Promise<string>): Promise<{ client: SwitchboardClient<Events, Requests>; received: ChatMessage[] }> {
  const client = connect<Events, Requests>(url, { token, reconnect: { initialDelayMs: 250, maxDelayMs: 10_000 } });
  client.on("state", (state, info) => console.log(`[switchboard] ${state}`, info.code ?? ""));
  client.on("match_found", (match) => console.log("match", match.matchId, match.players));

  const received: ChatMessage[] = [];
  const room = await client.join<ChatMessage>("chat:general");
  room.on("message", (message, frame) => {
    received.push(message);
    console.log(`#${frame.offset ?? "-"} ${message.text}`);
  });
  // After a reconnect the room is rejoined; missed messages arrive before live ones.
  room.on("recovered", ({ missed }) => console.log(`recovered ${missed} missed messages`));
  room.on("reset", async () => {
    // The gap could not be filled: reload from history.
    const page = await room.history({ limit: 50 });
    received.splice(0, received.length, ...page.messages.map((frame) => frame.data));
  });

  await room.publish({ text: "hello from node" });
  return { client, received };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { client } = await runNodeClient(process.env.SWITCHBOARD_URL ?? "ws://localhost:8080/ws");
  process.on("SIGINT", () => void client.close().then(() => process.exit(0)));
}

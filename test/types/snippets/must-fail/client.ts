// Must NOT compile: each `// error TSnnnn: text` line names the diagnostic tsc must report on
// the line below it (test/types/event-map.test.ts), and no other line may have one.
import { connect } from "switchboard/client";
import type { AppEvents } from "../app-events.js";

export async function run(): Promise<void> {
  const client = connect<AppEvents>("ws://localhost:8080/ws");

  // A request payload of the wrong type.
  // error TS2322: Type 'number' is not assignable to type 'string'.
  await client.request("lobby:create", { name: 1 });

  // Using the reply as what it is not.
  const reply = await client.request("lobby:create", { name: "alpha" });
  // error TS2551: Property 'toFixed' does not exist on type 'string'.
  reply.room.toFixed();

  // A request the map does not declare.
  // error TS2345: Argument of type '"lobby:delete"' is not assignable to parameter of type 'RequestType<
  await client.request("lobby:delete", {});

  // A listener expecting the wrong data.
  // error TS2769: No overload matches this call.
  client.on("match_found", (match: { matchId: number }) => match);

  // A room event narrowed to the wrong data.
  const room = await client.join("lobby:alpha");
  room.on("event", (_type, _data, frame) => {
    // error TS2339: Property 'matchId' does not exist on type 'number'.
    if (frame.type === "score") console.log(frame.data.matchId);
  });
}

// Must NOT compile: each `// error TSnnnn: text` line names the diagnostic tsc must report on
// the line below it (test/types/event-map.test.ts), and no other line may have one.
import { z } from "zod";
import { createSwitchboard } from "switchboard";
import type { AppEvents } from "../app-events.js";

const sb = createSwitchboard<AppEvents>({ auth: { anonymous: true } });

// A handler reading a field the payload does not have.
// error TS2339: Property 'size' does not exist on type '{ name: string; }'.
sb.handle("lobby:create", (_ctx, data) => ({ room: String(data.size) }));

// A handler replying with the wrong type.
// error TS2322: Type 'number' is not assignable to type 'string'.
sb.handle("lobby:create", () => ({ room: 42 }));

// A handler for a request the map does not declare.
// error TS2345: Argument of type '"lobby:delete"' is not assignable to parameter of type 'Route<RequestType<
sb.handle("lobby:delete", () => null);

// A schema that does not accept the declared payload (and so no handler type for its data).
// error TS2345: is not assignable to parameter of type 'ZodObject<{ name: ZodNumber; }, $strip> & { readonly "~accepts": { name: string; }; }'.
// error TS2339: Property 'name' does not exist on type 'never'.
sb.handle("lobby:create", z.object({ name: z.number() }), (_ctx, data) => ({ room: String(data.name) }));

// Event data of the wrong type, to a room and to the caller.
// error TS2345: Argument of type '["score", "three"]' is not assignable to parameter of type 'EmitArgs<
void sb.to("lobby:a").emit("score", "three");
sb.handle("lobby:list", (ctx) => {
  // error TS2345: Argument of type '["match_found", { matchId: number; players: never[]; }]' is not assignable
  ctx.emit("match_found", { matchId: 1, players: [] });
  return [];
});

// An event the map does not declare.
// error TS2345: Argument of type '["match_lost", {}]' is not assignable to parameter of type 'EmitArgs<
void sb.toAll().emit("match_lost", {});

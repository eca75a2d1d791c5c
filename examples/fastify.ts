// Switchboard on a Fastify server: attach to fastify.server before listening.
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";

export async function startFastifyExample(port = 3000): Promise<{ app: FastifyInstance; sb: Switchboard }> {
  const app = Fastify();
  const sb = createSwitchboard({ auth: { anonymous: true }, logLevel: "warn" });
  sb.attach(app.server, { path: "/ws" });

  sb.handle("queue:join", z.object({ mode: z.enum(["ranked", "casual"]) }), async (ctx, data) => {
    await ctx.join(`queue:${data.mode}`);
    return { position: 1 };
  });

  app.get("/stats", async () => sb.stats());
  app.addHook("onClose", async () => sb.close());

  await app.listen({ port, host: "127.0.0.1" });
  return { app, sb };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await startFastifyExample(Number(process.env.PORT ?? 3000));
  console.log("listening on", app.server.address());
}

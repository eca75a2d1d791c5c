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
  // preClose, not onClose: Fastify runs onClose only after its server closed, and the server
  // cannot close while WebSocket clients are connected. sb.close() ends them first (1001,
  // leaves announced) and answers upgrades arriving meanwhile with 503.
  app.addHook("preClose", async () => sb.close());

  await app.listen({ port, host: "127.0.0.1" });
  return { app, sb };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await startFastifyExample(Number(process.env.PORT ?? 3000));
  console.log("listening on", app.server.address());
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

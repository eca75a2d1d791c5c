// Switchboard attached to a plain node:http server, next to your own routes.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { z } from "zod";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";

export async function startPlainHttpExample(port = 3000): Promise<{ server: Server; sb: Switchboard }> {
  const server = createServer((request, response) => {
    response.writeHead(200, { "Content-Type": "text/plain" });
    response.end(`hello from ${request.url}\n`);
  });
  const sb = createSwitchboard({ auth: { anonymous: true }, logLevel: "warn" });
  sb.attach(server, { path: "/ws" });

  sb.handle("lobby:create", z.object({ name: z.string().min(1).max(32) }), async (ctx, data) => {
    const room = `lobby:${data.name}`;
    await ctx.join(room);
    await ctx.broadcast.toAll().except(ctx.connectionId).emit("lobby_created", { room });
    return { room };
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, sb };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { server } = await startPlainHttpExample(Number(process.env.PORT ?? 3000));
  console.log("listening on", server.address());
}

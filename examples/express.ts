// Switchboard beside an Express app on the same port.
import { createServer } from "node:http";
import type { Server } from "node:http";
import express from "express";
import { z } from "zod";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";

export async function startExpressExample(port = 3000): Promise<{ server: Server; sb: Switchboard; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  const server = createServer(app);
  const sb = createSwitchboard({ auth: { anonymous: true }, logLevel: "warn" });
  sb.attach(server, { path: "/ws" });

  sb.handle({ type: "chat", action: "send" }, z.object({ room: z.string(), text: z.string().max(500) }), async (ctx, data) => {
    const { offset } = await ctx.broadcast.publish(data.room, { text: data.text, by: ctx.connectionId });
    return { offset };
  });

  // Your REST routes can push to WebSocket clients too.
  app.post("/announce", async (request, response) => {
    await sb.toAll().emit("announcement", request.body);
    response.json({ ok: true });
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  // Switchboard first: it closes the WebSocket clients (1001, leaves announced) while the HTTP
  // server still answers their reconnects with 503; then the HTTP server, which cannot finish
  // closing while upgraded sockets are open.
  const close = async (): Promise<void> => {
    await sb.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, sb, close };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { server, close } = await startExpressExample(Number(process.env.PORT ?? 3000));
  console.log("listening on", server.address());
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

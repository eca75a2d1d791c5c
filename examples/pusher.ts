// The Pusher protocol on an embedded Switchboard: pusher-js / Laravel Echo clients connect to
// /app/{key}?protocol=7, Pusher server SDKs call /apps/{app_id}/…, and Switchboard clients on /ws
// share the same rooms (docs/pusher.md).
import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import { attachPusher, createSwitchboard } from "switchboard";
import type { PusherServer, Switchboard } from "switchboard";

export interface PusherExampleOptions {
  port?: number;
  app: { id: string; key: string; secret: string };
}

export async function startPusherExample(options: PusherExampleOptions): Promise<{ app: FastifyInstance; sb: Switchboard; pusher: PusherServer }> {
  const app = Fastify();
  const sb = createSwitchboard({ auth: { anonymous: true }, logLevel: "warn" });
  const pusher = attachPusher(sb, {
    apps: [{ ...options.app, clientEvents: true }],
    // Native clients may read the private `private-status-*` channels (a dashboard, say); other
    // private and presence channels stay for connections with a Pusher channel signature.
    allowNative: (_subject, room) => room.startsWith("private-status-"),
  });
  await app.register(pusher.plugin);
  sb.attach(app.server, { path: "/ws" });
  app.addHook("preClose", async () => {
    await sb.close();
    await pusher.close();
  });
  await app.listen({ port: options.port ?? 6001, host: "127.0.0.1" });
  return { app, sb, pusher };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await startPusherExample({ port: Number(process.env.PORT ?? 6001), app: { id: "1001", key: "app-key", secret: process.env.PUSHER_SECRET ?? "app-secret-change-me" } });
  console.log("Pusher protocol on", app.server.address());
}

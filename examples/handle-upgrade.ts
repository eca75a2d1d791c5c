// Handing upgrades to Switchboard yourself, as a Next.js custom server does: the
// framework keeps its own upgrade listener (hot reload) and Switchboard takes /ws.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { createSwitchboard } from "switchboard";
import type { Switchboard } from "switchboard";

export async function startHandleUpgradeExample(port = 3000): Promise<{ server: Server; sb: Switchboard }> {
  const server = createServer((_request, response) => response.end("app page\n"));
  const sb = createSwitchboard({ auth: { anonymous: true }, logLevel: "warn" });

  server.on("upgrade", (request, socket, head) => {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (pathname === "/ws") sb.handleUpgrade(request, socket, head);
    // else: leave it to the framework's own handler (e.g. Next.js HMR), or close it.
    else socket.destroy();
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, sb };
}

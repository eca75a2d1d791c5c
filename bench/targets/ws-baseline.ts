import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { jwtVerify } from "jose";
import * as wsLib from "ws";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import type { RunningTarget, ServerConfig } from "./target.js";

/** ws exports its Sender at runtime but @types/ws does not declare it. */
const { Sender } = wsLib as unknown as { Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] } };

interface Member {
  ws: WebSocket;
  /** The raw TCP socket under ws (not public API: see writeFrame). */
  raw: Socket;
  corked: boolean;
}

/**
 * The hand-tuned `ws` broadcast that the others are measured against:
 * serialize a publication once, frame it once, and write the same bytes to
 * every member, corking each socket so all frames it gets within one
 * event-loop turn leave in one write. Rooms are plain Sets.
 */
export async function startWsBaseline(config: ServerConfig): Promise<RunningTarget> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  const rooms = new Map<string, Set<Member>>();
  const key = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
  let corked: Member[] = [];
  const uncorkAll = (): void => {
    const list = corked;
    corked = [];
    for (const member of list) {
      member.corked = false;
      member.raw.uncork();
    }
  };
  const broadcast = (room: string, data: unknown): void => {
    const members = rooms.get(room);
    if (members === undefined) return;
    // One JSON.stringify and one frame header per publication, shared by all members.
    const payload = Buffer.from(JSON.stringify({ t: "msg", room, data }));
    const [header, body] = Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }) as [Buffer, Buffer];
    const frame = Buffer.concat([header, body]);
    for (const member of members) {
      if (member.ws.readyState !== 1) continue;
      if (!member.corked) {
        if (corked.length === 0) process.nextTick(uncorkAll);
        member.corked = true;
        member.raw.cork();
        corked.push(member);
      }
      member.raw.write(frame);
    }
  };
  http.on("upgrade", (request, socket, head) => {
    const accept = (): void => {
      wss.handleUpgrade(request, socket, head, (ws) => {
        const member: Member = { ws, raw: (ws as unknown as { _socket: Socket })._socket, corked: false };
        const joined = new Set<string>();
        ws.on("message", (raw) => {
          const frame = JSON.parse(String(raw)) as { t: string; room: string; data?: unknown };
          if (frame.t === "join") {
            let members = rooms.get(frame.room);
            if (members === undefined) rooms.set(frame.room, (members = new Set()));
            members.add(member);
            joined.add(frame.room);
            ws.send('{"t":"joined"}');
          } else if (frame.t === "pub") broadcast(frame.room, frame.data);
        });
        ws.on("close", () => {
          for (const room of joined) rooms.get(room)?.delete(member);
        });
      });
    };
    if (key === undefined) return accept();
    const token = new URL(request.url ?? "/", "http://localhost").searchParams.get("token") ?? "";
    jwtVerify(token, key, { algorithms: ["HS256"] }).then(accept, () => {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

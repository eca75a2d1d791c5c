import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify } from "jose";
import { Server } from "socket.io";
import type { RunningTarget, ServerConfig } from "./target.js";

/**
 * Socket.IO 4 as its docs suggest: websocket transport only (the clients never
 * poll), a JWT checked in a connection middleware, `io.to(room).emit` to broadcast.
 */
export async function startSocketIo(config: ServerConfig): Promise<RunningTarget> {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"], serveClient: false, pingInterval: 120_000, pingTimeout: 60_000 });
  if (config.jwtSecret !== undefined) {
    const key = new TextEncoder().encode(config.jwtSecret);
    io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      if (typeof token !== "string") return next(new Error("unauthorized"));
      jwtVerify(token, key, { algorithms: ["HS256"] }).then(
        (verified) => {
          socket.data.userId = verified.payload.sub;
          next();
        },
        () => next(new Error("unauthorized")),
      );
    });
  }
  io.on("connection", (socket) => {
    socket.on("join", (room: string, ack?: () => void) => {
      void socket.join(room);
      ack?.();
    });
    socket.on("pub", (room: string, data: unknown) => {
      io.to(room).emit("msg", data);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

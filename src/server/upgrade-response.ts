import type { Duplex } from "node:stream";
import { STATUS_CODES } from "node:http";
import type { ErrorCode } from "../protocol/error-codes.js";

/**
 * Refuses an upgrade with a plain HTTP response before any WebSocket handshake,
 * so clients and proxies see a real status code (401, 403, 429, 503…).
 */
export function rejectUpgrade(socket: Duplex, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
  // end() flushes the response; destroy after a short grace in case the peer never reads.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { describe, it } from "node:test";
import { startTestServer } from "../support/server.js";
import { bystander, headerAuth } from "./helpers.js";

/** One client-to-server frame, masked with a zero key (legal, and keeps the payload readable). */
function maskedFrame(opcode: number, fin: boolean, payload: Buffer): Buffer {
  assert.ok(payload.length < 126);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

describe("fragment floods", () => {
  it("closes a connection that splits one small message into thousands of fragments (1008), bystander served", async () => {
    const server = await startTestServer({ auth: headerAuth });
    try {
      const served = await bystander(server);
      const socket = tcpConnect(server.port, "127.0.0.1");
      socket.on("error", () => {});
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.write(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      // 20,000 one-byte fragments: 20 KB of payload, far under maxPayload, over ws's fragment limit.
      const frames = [maskedFrame(0x1, false, Buffer.from("{"))];
      for (let index = 0; index < 20_000; index++) frames.push(maskedFrame(0x0, false, Buffer.from(" ")));
      socket.write(Buffer.concat(frames));
      const deadline = setTimeout(() => socket.destroy(), 10_000);
      await closed;
      clearTimeout(deadline);
      const text = received.toString("latin1");
      assert.match(text, /^HTTP\/1\.1 101 /);
      // The server's close frame: opcode 0x88, then the 2-byte status code.
      const closeAt = received.lastIndexOf(Buffer.from([0x88]));
      assert.ok(closeAt > 0, "a close frame was sent");
      assert.equal(received.readUInt16BE(closeAt + 2), 1008);
      await served.assertServed();
      await served.client.close();
    } finally {
      await server.close();
    }
  });
});

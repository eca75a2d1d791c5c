// The load of run.ts: one room of 10 members; the first publishes `count` times, each once all 10
// have the previous one, so every publication is one turn of the server's event loop.
import { WebSocket } from "ws";
import { payload, switchboardJson, wsBaseline } from "../client/protocols.js";

const [target, port, countText] = process.argv.slice(2);
const protocol = target === "switchboard" ? switchboardJson : wsBaseline;
const count = Number(countText);
const ROOM = "bench:instructions";
const MEMBERS = 10;
let delivered = 0;
let next: (() => void) | undefined;

async function member(id: number): Promise<WebSocket> {
  const { url, protocols } = protocol.open(`ws://127.0.0.1:${port}`, undefined);
  const ws = new WebSocket(url, protocols);
  await new Promise<void>((resolve, reject) => {
    let joined = false;
    ws.on("error", reject);
    ws.on("message", (raw, isBinary) => {
      const data = raw as Buffer;
      if (joined) {
        if (protocol.isDelivery(data, isBinary) && ++delivered % MEMBERS === 0) next?.();
        return;
      }
      if (protocol.isJoinReply(data, isBinary, id)) {
        joined = true;
        resolve();
      } else if (protocol.handshake(ws, data, isBinary, undefined)) protocol.join(ws, ROOM, id);
    });
    if (protocol.readyOnOpen) ws.on("open", () => protocol.join(ws, ROOM, id));
  });
  return ws;
}

const members: WebSocket[] = [];
for (let id = 1; id <= MEMBERS; id++) members.push(await member(id));
for (let sent = 0; sent < count; sent++) {
  const all = new Promise<void>((resolve) => (next = resolve));
  members[0]!.send(protocol.publish(ROOM, payload(Date.now())));
  await all;
}
for (const ws of members) ws.terminate();

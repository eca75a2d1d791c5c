// A wire adapter that keeps clients already in the field: a market-data service whose browsers
// and scripts speak their own protocol (`{"action":"subscribe","market_id":…}` without a `type`,
// a `welcome` carrying `client_id`, events `{type, market_id, timestamp, data}`, errors as
// `data.error`) moves onto Switchboard without changing a line of client code. Subscriptions are
// Switchboard joins of the room `market:{market_id}`, so they get the same admission, broker,
// multi-node delivery and change feed as native clients; see docs/server.md, "Wire adapters".
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { SwitchboardError, createSwitchboard } from "switchboard";
import type { NativeServerFrame, Switchboard, WireAdapter, WireConnection, WireSession } from "switchboard";

const ROOM_PREFIX = "market:";

/** The service's own frame: every server message has `type`, `timestamp` and `data`. */
function marketFrame(type: string, marketId: string | undefined, data: unknown, at = Date.now()): string {
  return JSON.stringify({ type, ...(marketId === undefined ? {} : { market_id: marketId }), timestamp: new Date(at).toISOString(), data });
}

function errorFrame(message: string): string {
  return marketFrame("error", undefined, { error: message });
}

export const marketAdapter: WireAdapter = {
  name: "market",
  binary: false,

  connectionId: () => `client_${Date.now()}_${randomBytes(6).toString("hex")}`,

  // A publication in `market:{id}` with event "trade" becomes {"type":"trade","market_id":id,…},
  // encoded once however many clients follow the market.
  encodeShared(frame: NativeServerFrame) {
    if (frame.type !== "message" || frame.room?.startsWith(ROOM_PREFIX) !== true) return "skip";
    const type = typeof frame.event === "string" ? frame.event : "market_state";
    return Buffer.from(marketFrame(type, frame.room.slice(ROOM_PREFIX.length), frame.data, typeof frame.ts === "number" ? frame.ts : Date.now()));
  },

  open(session: WireSession): WireConnection {
    session.send(marketFrame("welcome", undefined, { client_id: session.connectionId, message: "Connected to ZMART WebSocket server" }));
    const subscriptions = (): string[] => [...session.rooms].filter((room) => room.startsWith(ROOM_PREFIX)).map((room) => room.slice(ROOM_PREFIX.length));

    const handle = async (message: { action?: unknown; market_id?: unknown }): Promise<void> => {
      switch (message.action) {
        case "pong":
          return;
        case "subscribe":
        case "unsubscribe": {
          if (typeof message.market_id !== "string" || message.market_id.length === 0) return session.send(errorFrame(`market_id required for ${message.action} action`));
          const marketId = message.market_id;
          // The same join and leave as a native client's: room policy, caps and rates apply.
          await session.request({ type: message.action === "subscribe" ? "join" : "leave", room: `${ROOM_PREFIX}${marketId}` });
          const verb = message.action === "subscribe" ? "Subscribed to" : "Unsubscribed from";
          return session.send(marketFrame("market_state", marketId, { message: `${verb} market ${marketId}`, subscriptions: subscriptions() }));
        }
        default:
          return session.send(errorFrame(`Unknown action: ${String(message.action)}`));
      }
    };

    return {
      receive(data, isBinary) {
        let message: { action?: unknown; market_id?: unknown };
        try {
          if (isBinary) throw new Error("binary");
          message = JSON.parse(data.toString("utf8")) as { action?: unknown; market_id?: unknown };
          if (typeof message !== "object" || message === null) throw new Error("not an object");
        } catch {
          return session.send(errorFrame("Invalid message format"));
        }
        handle(message).catch((error: unknown) => session.send(errorFrame(error instanceof SwitchboardError ? error.message : "Internal error")));
      },
      rateLimited() {
        session.send(errorFrame("Too many messages; slow down"));
      },
      // Events for this client alone (server code's toConnection, toUser) keep the same shape.
      deliver(frame) {
        if (frame.type === "reply" || frame.type === "presence") return;
        session.send(marketFrame(frame.type, undefined, frame.data));
      },
    };
  },
};

/** The market service on Switchboard: clients connect to ws://host:4001 as before. */
export async function startMarketExample(port = 4001, host = "localhost"): Promise<{ server: Server; sb: Switchboard }> {
  const server = createServer((_request, response) => {
    response.writeHead(426, { "Content-Type": "text/plain" });
    response.end("WebSocket upgrade required\n");
  });
  const sb = createSwitchboard({
    auth: { anonymous: true },
    logLevel: "warn",
    // The service pinged every 30 s; market rooms are read-only for clients and track no presence.
    heartbeatMs: 30_000,
    rooms: [{ match: `${ROOM_PREFIX}*`, publish: "nobody", presence: false }],
  });
  sb.mount("/", marketAdapter);
  sb.attach(server);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, sb };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { server, sb } = await startMarketExample(Number(process.env.WS_PORT ?? 4001));
  console.log("market WebSocket server on", server.address());
  // What the database change feed would do: a trade in market-123 every few seconds.
  setInterval(() => void sb.publish("market:market-123", { trade_type: "buy", outcome: true, shares: "10" }, { event: "trade" }), 5_000).unref();
}

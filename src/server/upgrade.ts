import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import type { Authenticator } from "../auth/authenticator.js";
import { AuthenticationError } from "../auth/identity.js";
import type { Identity } from "../auth/identity.js";
import { Connection } from "../delivery/connection.js";
import type { DeliveryFailures } from "../delivery/delivery-failures.js";
import type { Hub } from "../delivery/hub.js";
import { redactUrl } from "../log/logger.js";
import type { Logger } from "../log/logger.js";
import type { Protection, UpgradeRefusal } from "../protection/protection.js";
import { jsonCodec } from "../protocol/codec.js";
import type { Codec } from "../protocol/codec.js";
import { CloseCode } from "../protocol/close-codes.js";
import { PROTOCOL_VERSION } from "../protocol/frames.js";
import type { WelcomeData } from "../protocol/frames.js";
import { WireRefusal } from "../wire/wire-adapter.js";
import type { WireAdapter } from "../wire/wire-adapter.js";
import type { ConnectionLifecycle } from "./connection-lifecycle.js";
import type { Dispatcher } from "./dispatch.js";
import type { Heartbeat } from "./heartbeat.js";
import type { LifecycleEmitter } from "./lifecycle-events.js";
import type { ObserverList } from "./observer-list.js";
import type { Replier } from "./replier.js";
import { rejectUpgrade } from "./upgrade-response.js";
import { WireLink } from "./wire-link.js";
import type { WireHost } from "./wire-link.js";
import type { WireMounts } from "./wire-mounts.js";

export interface UpgradeDeps {
  node: string;
  maxPayload: number;
  heartbeatMs: number;
  protection: Protection;
  authenticator: Authenticator;
  hub: Hub;
  /** Resolves once the broker is started; an upgrade waits for it before it is accepted. */
  ready: Promise<void>;
  wires: WireMounts;
  /** Encodings by subprotocol; `addCodec()` adds to the map after construction. */
  codecs: ReadonlyMap<string, Codec>;
  logger: Logger;
  observer: ObserverList;
  deliveryFailures: DeliveryFailures;
  lifecycle: ConnectionLifecycle;
  events: LifecycleEmitter;
  dispatcher: Dispatcher;
  replier: Replier;
  heartbeat: Pick<Heartbeat, "scheduleExpiry">;
}

/**
 * Owns the WebSocket upgrade, as ws's WebSocketServer does: refuses it with a real
 * HTTP status (shutting down, protection's caps, authentication), negotiates the
 * codec's subprotocol, and accepts it into a Connection that gets its welcome.
 */
export class UpgradeHandler {
  private readonly wss: WebSocketServer;
  private readonly wireHost: WireHost;
  private closing = false;

  constructor(private readonly deps: UpgradeDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: deps.maxPayload,
      // Off by default; when on, ws bounds the decompressed size by maxPayload too.
      perMessageDeflate: deps.protection.settings.compression,
      handleProtocols: (protocols) => this.chooseSubprotocol(protocols),
    });
    const { dispatcher, hub, replier } = deps;
    this.wireHost = {
      node: deps.node,
      dispatch: (connection, frame) => dispatcher.dispatchSafely(connection, frame),
      setUser: (connection, userId, claims) => hub.setIdentity(connection, { userId, claims }),
      failed: (connection, error) => {
        replier.logError(error, connection);
        connection.close(CloseCode.internalError, "internal error");
      },
    };
  }

  /** Serves upgrades on `path` (and the wire adapters' paths) of an HTTP(S) server. */
  attach(server: HttpServer | HttpsServer, path: string): void {
    const listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const url = request.url ?? "/";
      const query = url.indexOf("?");
      const pathname = query === -1 ? url : url.slice(0, query);
      if (pathname !== path && this.deps.wires.find(pathname) === undefined) {
        // Other upgrade listeners (a dev server's HMR, say) may own this path.
        if (server.listenerCount("upgrade") === 1) rejectUpgrade(socket, 404, "not_found", `No WebSocket endpoint at this path; use ${path}.`);
        return;
      }
      this.handleUpgrade(request, socket, head);
    };
    // Never removed, not even by close(): while the app's server listens, upgrades during and
    // after shutdown get 503 + Retry-After rather than no answer at all.
    server.on("upgrade", listener);
  }

  /** From now on every upgrade, in every mode, is answered 503 with Retry-After (shutdown). */
  refuseAll(): void {
    this.closing = true;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { protection, hub, wires, authenticator, logger, observer } = this.deps;
    if (this.closing) return this.refuseWhileClosing(socket);
    const refusal = protection.checkUpgrade(request, hub.connections.size);
    if (refusal !== undefined) return this.refuseUpgrade(request, socket, refusal);
    protection.upgradeStarted();
    const url = request.url ?? "/";
    const adapter = wires.find(url.split("?", 1)[0]!);
    const onEarlyError = (): void => {
      socket.destroy();
    };
    socket.on("error", onEarlyError);
    const identity = adapter === undefined ? authenticator.authenticate(request) : Promise.resolve().then(() => adapter.authenticate?.(request) ?? { userId: null, claims: {} });
    Promise.all([this.deps.ready, identity]).then(
      ([, identity]) => {
        protection.upgradeFinished();
        socket.off("error", onEarlyError);
        if (socket.destroyed) return;
        if (this.closing) return this.refuseWhileClosing(socket);
        const userRefusal = protection.checkUser(identity.userId, identity.userId === null ? undefined : hub.userConnections(identity.userId));
        if (userRefusal !== undefined) return this.refuseUpgrade(request, socket, userRefusal);
        this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, identity, adapter));
      },
      (error: unknown) => {
        protection.upgradeFinished();
        socket.off("error", onEarlyError);
        if (error instanceof WireRefusal) return rejectUpgrade(socket, error.status, error.status === 401 ? "unauthorized" : error.status === 404 ? "not_found" : "forbidden", error.message);
        if (error instanceof AuthenticationError) {
          logger.info({ url: redactUrl(request.url), reason: error.message }, "upgrade refused: unauthorized");
          observer.refused("unauthorized");
          return rejectUpgrade(socket, 401, "unauthorized", `Unauthorized: ${error.message}.`, { "WWW-Authenticate": "Bearer" });
        }
        logger.error({ err: error }, "upgrade failed");
        rejectUpgrade(socket, 503, "unavailable", "The server cannot accept connections right now.");
      },
    );
  }

  /** During and after shutdown: a clear answer, so clients reconnecting in a deploy go elsewhere at once. */
  private refuseWhileClosing(socket: Duplex): void {
    rejectUpgrade(socket, 503, "unavailable", "The server is shutting down; retry on another node.", { "Retry-After": "1" });
  }

  private refuseUpgrade(request: IncomingMessage, socket: Duplex, refusal: UpgradeRefusal): void {
    this.deps.logger.info({ url: redactUrl(request.url), ip: this.deps.protection.clientIp(request), reason: refusal.reason }, `upgrade refused: ${refusal.status}`);
    rejectUpgrade(socket, refusal.status, refusal.code, refusal.message, refusal.headers);
  }

  private chooseSubprotocol(offered: Set<string>): string | false {
    for (const protocol of offered) if (this.deps.codecs.has(protocol)) return protocol;
    return false;
  }

  private accept(ws: WebSocket, request: IncomingMessage, identity: Identity, adapter: WireAdapter | undefined): void {
    const { codecs, protection, hub, dispatcher, lifecycle, logger, observer, events } = this.deps;
    const codec = adapter === undefined ? (codecs.get(ws.protocol) ?? jsonCodec) : jsonCodec;
    const ip = protection.clientIp(request);
    const connection = new Connection(adapter?.connectionId?.() ?? randomBytes(9).toString("base64url"), ws, codec, identity, ip);
    hub.add(connection);
    protection.connectionAccepted(connection, connection.userId === null ? undefined : hub.userConnections(connection.userId));
    connection.slowConsumers = protection.slowConsumers;
    connection.failures = this.deps.deliveryFailures;
    ws.on("message", (data, isBinary) => dispatcher.onFrame(connection, data as Buffer, isBinary));
    ws.on("pong", () => {
      connection.alive = true;
    });
    ws.on("error", (error) => logger.debug({ err: error, connection: connection.id }, "socket error"));
    ws.on("close", (code, reason) => {
      connection.wire?.closed(code, reason.toString());
      lifecycle.ended(connection, code, reason.toString());
    });
    if (adapter !== undefined) {
      const link = new WireLink(connection, adapter, this.wireHost);
      connection.wire = link;
      observer.connectionOpened();
      try {
        link.handler = adapter.open(link, request);
      } catch (error) {
        this.wireHost.failed(connection, error);
        return;
      }
      events.emit("connect", connection);
      return;
    }
    const welcome: WelcomeData = {
      connectionId: connection.id,
      userId: connection.userId,
      node: this.deps.node,
      heartbeatMs: this.deps.heartbeatMs,
      protocol: PROTOCOL_VERSION,
    };
    connection.send({ type: "welcome", data: welcome });
    this.deps.heartbeat.scheduleExpiry(connection);
    observer.connectionOpened();
    events.emit("connect", connection);
  }
}

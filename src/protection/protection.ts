import type { IncomingMessage } from "node:http";
import type { Logger } from "../log/logger.js";
import { CloseCode } from "../protocol/close-codes.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { ErrorCode } from "../protocol/error-codes.js";
import type { RefusalReason, SwitchboardObserver } from "./observer.js";
import { ClientIpResolver } from "./client-ip.js";
import { ConnectionGuard } from "./connection-guard.js";
import type { FrameVerdict } from "./connection-guard.js";
import { IpRateLimiter } from "./ip-rate-limiter.js";
import { OriginCheck } from "./origin-check.js";
import { resolveProtection } from "./protection-options.js";
import type { ProtectionOptions, RateLimit, ResolvedProtection } from "./protection-options.js";
import { SlowConsumerPolicy } from "./slow-consumer.js";
import type { OutboundView } from "./slow-consumer.js";

/** An upgrade refused before the WebSocket handshake, as an HTTP response. */
export interface UpgradeRefusal {
  status: number;
  code: ErrorCode;
  reason: RefusalReason;
  message: string;
  headers?: Record<string, string>;
}

/** The parts of a connection the protection layer reads. */
export interface GuardedConnection extends OutboundView {
  readonly ip: string;
  readonly connectedAt: number;
  readonly rooms: ReadonlySet<string>;
  close(code: number, reason: string): void;
}

/** The parts of a frame the protection layer reads. */
export interface GuardedFrame {
  type: string;
  action?: string | undefined;
  room?: unknown;
}

function routeKey(type: string, action: string | undefined): string {
  return action === undefined ? type : `${type}\u0000${action}`;
}

/**
 * Every limit of one Switchboard node, in one place: checks at the upgrade
 * (origin, IP rate, caps), per frame (rate, handler limits, joins), and on the
 * outbound path (slow consumers). The server calls these hooks; the policies live
 * in the small files beside this one.
 */
export class Protection {
  readonly settings: ResolvedProtection;
  readonly slowConsumers: SlowConsumerPolicy;
  private readonly clientIps: ClientIpResolver;
  private readonly origins: OriginCheck;
  private readonly ipLimiter: IpRateLimiter;
  private readonly routeLimits = new Map<string, RateLimit>();
  private pendingUpgrades = 0;

  constructor(
    options: ProtectionOptions | undefined,
    private readonly observer: SwitchboardObserver,
    private readonly logger: Logger,
  ) {
    this.settings = resolveProtection(options);
    this.clientIps = new ClientIpResolver(this.settings.trustedProxies);
    this.origins = new OriginCheck(this.settings.allowedOrigins, this.settings.allowMissingOrigin);
    this.ipLimiter = new IpRateLimiter(this.settings.ipConnectionRate.perSecond, this.settings.ipConnectionRate.burst);
    this.slowConsumers = new SlowConsumerPolicy(this.settings.maxBufferedBytes, this.settings.slowConsumerGraceMs, this.settings.maxNodeBufferedBytes, (connection, bytes) => {
      this.observer.refused?.("slow_consumer");
      this.logger.info({ connection: connection.id, bufferedBytes: bytes }, "closing slow consumer");
    });
  }

  clientIp(request: IncomingMessage): string {
    return this.clientIps.resolve(request);
  }

  /** Checks before authentication: origin (403), IP rate (429), node cap (503). */
  checkUpgrade(request: IncomingMessage, openConnections: number): UpgradeRefusal | undefined {
    if (!this.origins.allows(request)) return this.refuse({ status: 403, code: "forbidden", reason: "origin", message: "This Origin is not allowed." });
    if (!this.ipLimiter.allow(this.clientIp(request))) {
      return this.refuse({ status: 429, code: "rate_limited", reason: "ip_rate", message: "Too many connection attempts from this address; retry later.", headers: { "Retry-After": "1" } });
    }
    const cap = this.settings.maxConnections;
    if (cap > 0 && openConnections + this.pendingUpgrades >= cap) {
      return this.refuse({ status: 503, code: "unavailable", reason: "node_cap", message: "This node is at its connection limit; retry later or elsewhere.", headers: { "Retry-After": "5" } });
    }
    return undefined;
  }

  /** Brackets authentication, so upgrades in flight count against the node cap. */
  upgradeStarted(): void {
    this.pendingUpgrades++;
  }

  upgradeFinished(): void {
    this.pendingUpgrades--;
  }

  /** After authentication, in "refuse" mode: 409 when the user is at the cap. */
  checkUser(userId: string | null, existing: ReadonlySet<GuardedConnection> | undefined): UpgradeRefusal | undefined {
    const cap = this.settings.maxConnectionsPerUser;
    if (userId === null || cap === 0 || this.settings.userCapMode !== "refuse") return undefined;
    if ((existing?.size ?? 0) < cap) return undefined;
    return this.refuse({ status: 409, code: "conflict", reason: "user_cap", message: `This user already has ${cap} connections on this node.` });
  }

  /** Gives an accepted connection its guard; in "close_oldest" mode closes the user's oldest connections over the cap with 4009. */
  connectionAccepted(connection: GuardedConnection, userConnections: ReadonlySet<GuardedConnection> | undefined): ConnectionGuard {
    const settings = this.settings;
    const guard = new ConnectionGuard(settings.frameRate, settings.rateLimitCloseAfter, settings.joinsPerMinute);
    connection.guard = guard;
    const cap = settings.maxConnectionsPerUser;
    if (cap > 0 && settings.userCapMode === "close_oldest" && userConnections !== undefined && userConnections.size > cap) {
      const open = [...userConnections].filter((other) => other !== connection && other.socket.readyState === 1).sort((a, b) => a.connectedAt - b.connectedAt);
      for (const oldest of open.slice(0, Math.max(0, open.length + 1 - cap))) {
        this.observer.refused?.("user_cap");
        oldest.close(CloseCode.disconnected, "too many connections for this user");
      }
    }
    return guard;
  }

  /**
   * Counts an inbound frame. "limited": reply `rate_limited` and drop the frame;
   * "abuse": the connection has been closed with 1008.
   */
  admitFrame(connection: GuardedConnection): FrameVerdict {
    const guard = connection.guard;
    if (guard === undefined) return "ok";
    return this.verdict(connection, guard.admitFrame(), "frame_rate");
  }

  /** A stricter limit for one handler (type, or type + action), per connection. */
  limitRoute(type: string, action: string | undefined, limit: RateLimit): void {
    if (!(limit.perSecond > 0) || !Number.isInteger(limit.burst) || limit.burst < 1) {
      throw new TypeError(`limit(): ${type} needs perSecond > 0 and an integer burst ≥ 1`);
    }
    this.routeLimits.set(routeKey(type, action), { perSecond: limit.perSecond, burst: limit.burst });
  }

  /** Checks a decoded frame against handler limits; throws the client's error. The join rate and rooms cap are the admission's (src/rooms/admission.ts). */
  checkFrame(connection: GuardedConnection, frame: GuardedFrame): void {
    const guard = connection.guard;
    if (guard === undefined) return;
    if (this.routeLimits.size > 0) {
      let key = routeKey(frame.type, frame.action);
      let limit = this.routeLimits.get(key);
      if (limit === undefined && frame.action !== undefined) limit = this.routeLimits.get((key = frame.type));
      if (limit !== undefined && this.verdict(connection, guard.admitRoute(key, limit), "frame_rate") !== "ok") {
        throw new SwitchboardError("rate_limited", `Too many "${frame.type}" frames; slow down.`);
      }
    }
  }

  /** The periodic sweep: slow consumers that stopped receiving sends, and forgotten IP buckets. */
  startSweep(connections: () => Iterable<GuardedConnection>): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.slowConsumers.sweep(connections());
      this.ipLimiter.sweep();
    }, this.settings.sweepIntervalMs);
    timer.unref();
    return timer;
  }

  /** The options for the HTTP server `listen()` creates: slow-loris timeouts. */
  httpServerOptions(): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
    const { headersTimeoutMs, requestTimeoutMs } = this.settings;
    // Node checks these deadlines on an interval, so a request is cut up to one interval after its
    // deadline: with a quarter of the deadline, 10 s became 12.5 s. Checking every 1/40 (at least
    // 25 ms, at most 1 s) and giving Node the deadline minus one interval cuts within the last
    // interval before the documented deadline, never after it.
    const shortest = Math.min(headersTimeoutMs || Infinity, requestTimeoutMs || Infinity);
    const interval = Number.isFinite(shortest) ? Math.max(25, Math.min(1_000, Math.floor(shortest / 40))) : 5_000;
    const early = (deadline: number): number => (deadline === 0 ? 0 : Math.max(1, deadline - interval));
    return {
      headersTimeout: early(headersTimeoutMs),
      requestTimeout: early(requestTimeoutMs),
      connectionsCheckingInterval: interval,
    };
  }

  private verdict(connection: GuardedConnection, verdict: FrameVerdict, reason: RefusalReason): FrameVerdict {
    if (verdict === "ok") return verdict;
    this.observer.refused?.(reason);
    if (verdict === "abuse") {
      this.logger.info({ connection: connection.id, ip: connection.ip }, "closing connection: sustained rate-limit abuse");
      connection.close(CloseCode.policyViolation, "rate limit exceeded");
    }
    return verdict;
  }

  private refuse(refusal: UpgradeRefusal): UpgradeRefusal {
    this.observer.refused?.(refusal.reason);
    return refusal;
  }
}

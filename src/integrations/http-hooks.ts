import type { IncomingMessage } from "node:http";
import { assertBackendUrl } from "./backend-url.js";
import type { AuthenticateHook, Identity } from "../auth/identity.js";
import type { Logger } from "../log/logger.js";
import { redactUrl } from "../log/logger.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import type { RoomAccessHook } from "../server/commands.js";
import { callBackend } from "./backend-call.js";
import type { BackendEndpoint } from "./backend-call.js";
import { bodyOf, describeOutcome, isSuccess } from "./backend-errors.js";

/**
 * Connect and join decisions made by a backend over HTTP, for backends that
 * keep their own sessions instead of issuing JWTs. The connect hook plugs into
 * `auth.authenticate`, the join hook into `canJoin` (after room policies).
 */
export interface HookOptions extends BackendEndpoint {
  /** Extra attempts when the backend is unreachable or answers 502/503/504 (both checks are safe to repeat). Default 1. */
  retries?: number;
  logger?: Logger;
}

/** Request headers passed to the connect hook: what a session backend needs, nothing else. */
const FORWARDED_HEADERS = ["cookie", "authorization", "origin", "user-agent", "x-forwarded-for"] as const;

/** The body of a connect-hook call. */
export interface ConnectHookRequest {
  /** Path and query of the upgrade request (a session id may travel there). */
  url: string;
  headers: Partial<Record<(typeof FORWARDED_HEADERS)[number], string>>;
  ip: string;
}

/** The backend's answer (2xx): `allow: false` (or HTTP 401/403) refuses the upgrade with 401. */
export interface ConnectHookResponse {
  allow: boolean;
  userId?: string | null;
  /** Becomes the connection's claims (handlers see it as ctx.claims): roles, plan, display name… */
  claims?: Record<string, unknown>;
  /** ms since epoch; the connection closes with 4001 then. */
  expiresAt?: number;
}

/**
 * An `auth.authenticate` hook asking the backend. A refusal is a 401; a backend
 * that cannot be reached throws `unavailable`, which the server answers with 503
 * so clients retry instead of treating it as bad credentials.
 */
export function httpConnectHook(options: HookOptions): AuthenticateHook {
  // The connect hook forwards the upgrade's Authorization and Cookie headers.
  assertBackendUrl(options.url, "httpConnectHook", { carriesCredentials: true, allowLinkLocal: options.allowLinkLocal });
  return async (request: IncomingMessage): Promise<Identity | null> => {
    const headers: ConnectHookRequest["headers"] = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const body: ConnectHookRequest = { url: request.url ?? "/", headers, ip: request.socket.remoteAddress ?? "" };
    const outcome = await callBackend(options, body, { retries: options.retries ?? 1 });
    if (outcome.kind === "response" && (outcome.status === 401 || outcome.status === 403)) return null;
    if (!isSuccess(outcome)) {
      options.logger?.warn({ url: redactUrl(request.url), outcome: describeOutcome(outcome) }, "connect hook failed");
      throw new SwitchboardError("unavailable", "The connect hook is unavailable.");
    }
    const answer = bodyOf(outcome) as Partial<ConnectHookResponse> | undefined;
    if (answer?.allow !== true) return null;
    const userId = answer.userId ?? null;
    if (userId !== null && (typeof userId !== "string" || userId.length === 0)) throw new SwitchboardError("unavailable", "The connect hook answered an invalid userId.");
    const identity: Identity = { userId, claims: isRecord(answer.claims) ? answer.claims : {} };
    if (typeof answer.expiresAt === "number") identity.expiresAt = answer.expiresAt;
    return identity;
  };
}

/** The body of a join-hook call. */
export interface JoinHookRequest {
  room: string;
  connectionId: string;
  userId: string | null;
  claims: Readonly<Record<string, unknown>>;
}

/**
 * A `canJoin` hook asking the backend: 2xx `{ "allow": true }` admits, anything
 * else the backend says refuses (`forbidden`); an unreachable backend is `unavailable`.
 */
export function httpJoinHook(options: HookOptions): RoomAccessHook {
  assertBackendUrl(options.url, "httpJoinHook", { carriesCredentials: false, allowLinkLocal: options.allowLinkLocal });
  return async (subject, room) => {
    const body: JoinHookRequest = { room, connectionId: subject.id, userId: subject.userId, claims: subject.claims };
    const outcome = await callBackend(options, body, { retries: options.retries ?? 1 });
    if (outcome.kind === "unreachable" || outcome.status >= 500) {
      options.logger?.warn({ room, outcome: describeOutcome(outcome) }, "join hook failed");
      throw new SwitchboardError("unavailable", "The join hook is unavailable; retry later.");
    }
    return isSuccess(outcome) && (bodyOf(outcome) as { allow?: unknown } | undefined)?.allow === true;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}


import { randomUUID } from "node:crypto";
import { signRequest } from "./request-signing.js";

/** Where and how Switchboard calls a backend. */
export interface BackendEndpoint {
  url: string;
  /** Shared secret for the HMAC signature headers; unsigned when absent. */
  secret?: string;
  /** Per attempt. Default 5000. */
  timeoutMs?: number;
  /** Extra headers, e.g. an API key the backend expects. */
  headers?: Record<string, string>;
  /** Lets `url` name a link-local or cloud-metadata address (refused by default; see backend-url.ts). */
  allowLinkLocal?: boolean;
}

export type BackendOutcome =
  | { kind: "response"; status: number; body: unknown }
  /** Timed out, refused, reset: the backend may not have seen the call. */
  | { kind: "unreachable"; reason: string };

export interface CallOptions {
  /** Extra attempts after an unreachable backend or a 502/503/504. Only for calls that are safe to repeat. */
  retries?: number;
  retryDelayMs?: number;
  /** Sent as `Idempotency-Key`, the same on every attempt. Default: a fresh UUID. */
  requestId?: string;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** POSTs JSON to a backend with a timeout per attempt, signed, and reads a JSON answer. */
export async function callBackend(endpoint: BackendEndpoint, payload: unknown, options: CallOptions = {}): Promise<BackendOutcome> {
  const body = JSON.stringify(payload);
  const requestId = options.requestId ?? randomUUID();
  const retries = options.retries ?? 0;
  let outcome: BackendOutcome = { kind: "unreachable", reason: "not called" };
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await delay((options.retryDelayMs ?? 100) * 2 ** (attempt - 1));
    outcome = await attemptCall(endpoint, body, requestId);
    const retryable = outcome.kind === "unreachable" || RETRYABLE_STATUS.has(outcome.status);
    if (!retryable) return outcome;
  }
  return outcome;
}

async function attemptCall(endpoint: BackendEndpoint, body: string, requestId: string): Promise<BackendOutcome> {
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "content-type": "application/json",
    "idempotency-key": requestId,
    ...(endpoint.secret === undefined ? {} : signRequest(endpoint.secret, body)),
  };
  try {
    const response = await fetch(endpoint.url, { method: "POST", headers, body, signal: AbortSignal.timeout(endpoint.timeoutMs ?? 5_000) });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { kind: "response", status: response.status, body: parsed };
  } catch (error) {
    const reason = error instanceof Error ? (error.name === "TimeoutError" ? "timeout" : error.message) : String(error);
    return { kind: "unreachable", reason };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `*` matches any run of characters; everything else is literal. */
export function compileEventPattern(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

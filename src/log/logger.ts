import { pino } from "pino";
import type { Logger } from "pino";

export type { Logger };

/**
 * Paths that may hold credentials. Tokens and API keys must never reach a log
 * line, so every logger Switchboard creates redacts them.
 */
export const REDACTED_PATHS = [
  "token",
  "apiKey",
  "authorization",
  "headers.authorization",
  "headers.cookie",
  'headers["sec-websocket-protocol"]',
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["sec-websocket-protocol"]',
  "config.jwtSecret",
  "config.apiKeys",
  "config.integrationSecret",
];

export function createLogger(level: string = "info"): Logger {
  return pino({ level, base: { service: "switchboard" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } });
}

/** A URL safe to log: the query string may carry `?token=`, so it is dropped. */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return "";
  const query = url.indexOf("?");
  return query === -1 ? url : `${url.slice(0, query)}?[redacted]`;
}

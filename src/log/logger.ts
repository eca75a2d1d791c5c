import { pino } from "pino";
import type { Logger } from "pino";
import pinoPretty from "pino-pretty";

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

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON lines; see prettyLogs() in log-format.ts. */
  pretty?: boolean;
}

export function createLogger(level: string = "info", options: LoggerOptions = {}): Logger {
  const settings = { level, base: { service: "switchboard" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  if (options.pretty !== true) return pino(settings);
  // In process and synchronous: the last lines before process.exit (shutdown) are not lost.
  return pino(settings, pinoPretty({ sync: true, colorize: true, singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" }));
}

/** A URL safe to log: the query string may carry `?token=`, so it is dropped. */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return "";
  const query = url.indexOf("?");
  return query === -1 ? url : `${url.slice(0, query)}?[redacted]`;
}

import { randomBytes } from "node:crypto";
import type { ServerConfig } from "../config/server-config.js";

/**
 * A server API key for this run only, so a newcomer's first `switchboard start`
 * in a terminal opens the dashboard straight away: only when no key is set,
 * stdout is a terminal, NODE_ENV is not production and there is one process
 * (workers would each make their own), with the dashboard served.
 * SWITCHBOARD_DEV_API_KEY=off turns it off.
 * A server under systemd, Docker without a TTY or a log collector never gets one.
 */
export function developmentApiKey(config: Pick<ServerConfig, "apiKeys" | "workers" | "web">, input: { env: NodeJS.ProcessEnv; isTTY: boolean }): string | undefined {
  if (config.apiKeys.length > 0 || config.workers > 1 || !config.web || !input.isTTY) return undefined;
  if (input.env.NODE_ENV === "production" || input.env.SWITCHBOARD_DEV_API_KEY?.trim().toLowerCase() === "off") return undefined;
  return `sb_dev_${randomBytes(24).toString("base64url")}`;
}

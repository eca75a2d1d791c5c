/**
 * Resolves the server URL once, up front: relative URLs ("/ws") against the page's
 * location in browsers, http(s) mapped to ws(s). A bad URL throws from connect()
 * rather than failing every reconnect attempt.
 */
export function resolveServerUrl(url: string): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    throw new TypeError(`connect(): "${url}" is not a valid WebSocket URL (expected ws://host:port/path${base === undefined ? "" : " or a path"}).`);
  }
  if (parsed.protocol === "http:") parsed.protocol = "ws:";
  else if (parsed.protocol === "https:") parsed.protocol = "wss:";
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new TypeError(`connect(): "${url}" must use ws:, wss:, http: or https:.`);
  return parsed.toString();
}

/** The URL of one connection attempt: the token travels as ?token= (browsers cannot set headers). */
export function withToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set("token", token);
  return parsed.toString();
}

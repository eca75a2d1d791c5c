import type { IncomingMessage } from "node:http";

/** The subprotocol prefix that carries a token, for browsers that cannot set headers. */
export const TOKEN_SUBPROTOCOL_PREFIX = "bearer.";

/**
 * Finds the client's token in, by precedence: `Authorization: Bearer`, a
 * `bearer.<token>` entry of `Sec-WebSocket-Protocol`, the `token` query parameter.
 */
export function extractToken(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === "string" && /^bearer /i.test(authorization)) return authorization.slice(7).trim();
  const protocols = request.headers["sec-websocket-protocol"];
  if (typeof protocols === "string") {
    for (const entry of protocols.split(",")) {
      const protocol = entry.trim();
      if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    }
  }
  const url = request.url ?? "";
  const query = url.indexOf("?");
  if (query !== -1) {
    const token = new URLSearchParams(url.slice(query + 1)).get("token");
    if (token !== null && token.length > 0) return token;
  }
  return undefined;
}

/** What the server tells the pages about itself (served at /web-config.json by src/web-app-server). */
export interface WebConfig {
  /** WebSocket path on this origin, e.g. "/ws". */
  wsPath: string;
  /** Set when this page is served on another port than the WebSocket. */
  wsPort?: number;
  /** "anonymous": anyone may connect; "jwt": the demo needs a token. */
  auth: "anonymous" | "jwt";
  /** Whether POST /web/dev-token mints demo tokens (development only, off by default). */
  devTokens: boolean;
}

export async function loadWebConfig(): Promise<WebConfig> {
  const response = await fetch("/web-config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`GET /web-config.json answered ${response.status}`);
  return (await response.json()) as WebConfig;
}

/** The WebSocket URL on the page's own origin (ws: for http:, wss: for https:). */
export function webSocketUrl(config: Pick<WebConfig, "wsPath" | "wsPort">): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const host = config.wsPort === undefined ? location.host : `${location.hostname}:${config.wsPort}`;
  return `${scheme}//${host}${config.wsPath}`;
}

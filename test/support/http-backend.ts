import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BackendRequest {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

export interface BackendAnswer {
  status?: number;
  body?: unknown;
  /** Answer after this long (to exercise timeouts). */
  delayMs?: number;
}

export type BackendRoute = (request: BackendRequest) => BackendAnswer | Promise<BackendAnswer>;

/** A real HTTP backend on a loopback port that records every request and answers through `route`. */
export class TestBackend {
  readonly requests: BackendRequest[] = [];
  private server: Server | undefined;
  url = "";

  constructor(private readonly route: BackendRoute) {}

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      let raw = "";
      request.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      request.on("end", async () => {
        const recorded: BackendRequest = { path: request.url ?? "/", headers: request.headers, raw, body: raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : {} };
        this.requests.push(recorded);
        const answer = await this.route(recorded);
        const send = (): void => {
          if (response.destroyed) return;
          response.writeHead(answer.status ?? 200, { "content-type": "application/json" });
          response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
        };
        if (answer.delayMs === undefined) send();
        else setTimeout(send, answer.delayMs).unref();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  on(path: string): BackendRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

import cors from "@fastify/cors";
import type { FastifyCorsOptions } from "@fastify/cors";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * CORS for the server API, off unless origins are listed: a dashboard or admin
 * page on another origin may then call /api/* from the browser with its key.
 * Only /api/* answers (preflights included); the WebSocket endpoint has its own
 * Origin allowlist, and /health and /metrics are for machines, not pages.
 * Keys travel in the Authorization header, never in cookies, so no credentials mode.
 */
export interface ApiCorsOptions {
  /** Exact origins (`https://admin.example.com`), or `*` for any. */
  origins: readonly string[];
}

/** Why `origin` cannot be in the allowlist, or undefined. */
export function corsOriginProblem(origin: string): string | undefined {
  if (origin === "*") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `"${origin}" is not an origin such as https://admin.example.com`;
  }
  if (parsed.origin !== origin) return `"${origin}" is not an origin: write scheme://host[:port] with no path or trailing slash${parsed.origin === "null" ? "" : ` (${parsed.origin})`}`;
  return undefined;
}

const SHARED: FastifyCorsOptions = {
  methods: ["GET", "POST"],
  allowedHeaders: ["Authorization", "Content-Type"],
  // What a page needs to back off when rate limited.
  exposedHeaders: ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
  maxAge: 600,
  credentials: false,
  strictPreflight: true,
};

/** Registers CORS on the API's Fastify context; a request outside /api/* or from another origin gets no CORS headers. */
export async function registerApiCors(app: FastifyInstance, options: ApiCorsOptions): Promise<void> {
  const any = options.origins.includes("*");
  const allowed = new Set(options.origins);
  const decide = (request: FastifyRequest): FastifyCorsOptions => {
    const origin = request.headers.origin;
    const inScope = request.url.startsWith("/api/") && origin !== undefined && (any || allowed.has(origin));
    return { ...SHARED, origin: inScope ? (any ? "*" : origin) : false };
  };
  await app.register(cors, { delegator: (request, callback) => callback(null, decide(request)) });
}

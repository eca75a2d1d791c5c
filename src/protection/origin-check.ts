import type { IncomingMessage } from "node:http";

/**
 * The `Origin` allowlist. Matching is exact (scheme, host and port, as the browser
 * sends them), never by prefix or suffix, so "https://app.example.com.evil.test"
 * cannot pass for "https://app.example.com".
 */
export class OriginCheck {
  private readonly allowed: ReadonlySet<string> | undefined;

  /** `allowed` undefined: every origin passes. `allowMissing`: requests without Origin (non-browser clients) pass. */
  constructor(
    allowed: readonly string[] | undefined,
    private readonly allowMissing: boolean,
  ) {
    this.allowed = allowed === undefined ? undefined : new Set(allowed.map((origin) => origin.toLowerCase()));
  }

  allows(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined || origin === "") return this.allowMissing;
    if (this.allowed === undefined) return true;
    return this.allowed.has(origin.toLowerCase());
  }
}

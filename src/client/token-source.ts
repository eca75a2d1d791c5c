import { tokenExpiry } from "./jwt.js";
import type { TokenProvider } from "./types.js";

/** A token this close to its `exp` is not used for a new connection. */
const MIN_REMAINING_MS = 1_000;

/** Holds the current token and asks the provider for a new one when needed. */
export class TokenSource {
  private current: string | undefined;
  private stale = false;

  constructor(private readonly option: string | TokenProvider | undefined) {
    if (typeof option === "string") this.current = option;
  }

  /** Whether a fresh token can be had (a provider was given). */
  get refreshable(): boolean {
    return typeof this.option === "function";
  }

  get token(): string | undefined {
    return this.current;
  }

  /** The token for a new connection: the current one unless it is stale or about to expire. */
  async forConnection(): Promise<string | undefined> {
    if (typeof this.option !== "function") return this.current;
    const expiry = this.current === undefined ? undefined : tokenExpiry(this.current);
    const expiring = expiry !== undefined && expiry * 1000 - Date.now() < MIN_REMAINING_MS;
    if (this.current === undefined || this.stale || expiring) return this.fresh();
    return this.current;
  }

  /** Asks the provider for a new token. */
  async fresh(): Promise<string | undefined> {
    if (typeof this.option !== "function") return this.current;
    const token = await this.option();
    if (typeof token !== "string" || token.length === 0) throw new TypeError("The token provider must return a non-empty string.");
    this.current = token;
    this.stale = false;
    return token;
  }

  /** The server rejected the current token (4001): the next connection needs a new one. */
  invalidate(): void {
    this.stale = true;
  }
}

import { createHash, timingSafeEqual } from "node:crypto";

/** Shortest API key accepted: shorter keys are guessable. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * The server API's keys. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither a key's content nor its length leaks through
 * response timing, and every configured key is checked on every request.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    for (const key of keys) {
      if (key.length < MIN_API_KEY_LENGTH) throw new TypeError(`Server API keys must be at least ${MIN_API_KEY_LENGTH} characters (SWITCHBOARD_API_KEY).`);
    }
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Whether an `Authorization` header value carries one of the keys as a Bearer token. */
  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) return false;
    const offered = digest(match[1]!);
    let accepted = false;
    for (const known of this.digests) if (timingSafeEqual(known, offered)) accepted = true;
    return accepted;
  }
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signs Switchboard's calls to a backend (event proxy, connect/join hooks,
 * webhooks) so the backend can trust them: HMAC-SHA256 with a shared secret over
 * `${timestamp}.${body}`. The timestamp (Unix seconds) is signed too, so a
 * captured request cannot be replayed after the backend's tolerance window.
 */
export const TIMESTAMP_HEADER = "x-switchboard-timestamp";
export const SIGNATURE_HEADER = "x-switchboard-signature";
const VERSION = "v1";

export function signature(secret: string, timestamp: string, body: string): string {
  return `${VERSION}=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Headers to add to a signed request. */
export function signRequest(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature(secret, timestamp, body) };
}

/**
 * For backends written in Node: true when `body` was signed with `secret` less
 * than `toleranceSec` ago. Compare against the raw body bytes, before parsing.
 */
export function verifyRequest(secret: string, headers: Record<string, string | string[] | undefined>, body: string, toleranceSec = 300, now = Date.now()): boolean {
  const timestamp = headers[TIMESTAMP_HEADER];
  const given = headers[SIGNATURE_HEADER];
  if (typeof timestamp !== "string" || typeof given !== "string" || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSec) return false;
  const expected = Buffer.from(signature(secret, timestamp, body));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

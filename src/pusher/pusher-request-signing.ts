import type { ResolvedPusherApp } from "./pusher-options.js";
import { md5Hex, sign, signaturesEqual } from "./pusher-signatures.js";

/**
 * Checks a signed HTTP API request: `auth_signature` is the HMAC-SHA256 of
 * "METHOD\npath\nsorted query" (every parameter but auth_signature, sorted by
 * name, `name=value` joined with `&`), `auth_key` the app's key, `auth_timestamp`
 * within the tolerance of this server's clock, and `body_md5` the body's MD5
 * whenever there is a body. Returns why it is refused, or undefined.
 */
export function verifyRequest(app: ResolvedPusherApp, method: string, path: string, query: URLSearchParams, body: string, toleranceSec: number, nowMs = Date.now()): string | undefined {
  const signature = query.get("auth_signature");
  const key = query.get("auth_key");
  const timestamp = query.get("auth_timestamp");
  if (signature === null || key === null || timestamp === null) return "Missing auth_key, auth_timestamp or auth_signature.";
  if (query.get("auth_version") !== null && query.get("auth_version") !== "1.0") return "auth_version must be 1.0.";
  if (!signaturesEqual(app.key, key)) return "Unknown auth_key.";
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(nowMs / 1000 - seconds) > toleranceSec) {
    return `Timestamp expired: auth_timestamp must be within ${toleranceSec} s of the server's time (${Math.floor(nowMs / 1000)}).`;
  }
  if (body.length > 0) {
    const md5 = query.get("body_md5");
    if (md5 === null || !signaturesEqual(md5Hex(body), md5)) return "body_md5 does not match the body.";
  }
  const params: Array<[string, string]> = [];
  for (const [name, value] of query) if (name !== "auth_signature") params.push([name.toLowerCase(), value]);
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const signed = [method.toUpperCase(), path, params.map(([name, value]) => `${name}=${value}`).join("&")].join("\n");
  if (!signaturesEqual(sign(app.secret, signed), signature)) return "Invalid signature: expected HMAC-SHA256 of \"METHOD\\npath\\nsorted query\" with the app secret.";
  return undefined;
}

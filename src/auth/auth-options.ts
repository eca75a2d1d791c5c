import type { AuthOptions } from "./authenticator.js";

/** Minimum length of an HS* shared secret: shorter ones can be brute-forced offline from one token. */
export const MIN_JWT_SECRET_LENGTH = 16;

function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError(`Switchboard option "auth.${name}" must be ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === "function") return "a function";
  return value === null ? "null" : typeof value === "object" ? (Array.isArray(value) ? "an array" : "an object") : String(value);
}

function optionalString(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "string" || value.length === 0)) fail(name, "a non-empty string", value);
}

/**
 * Validates the `auth` option once, at the edge, like the config file: a TypeError
 * naming the option. Secrets are never echoed, only their length.
 */
export function validateAuthOptions(options: AuthOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) fail("", "an object", options);
  if (options.anonymous !== undefined && typeof options.anonymous !== "boolean") fail("anonymous", "a boolean", options.anonymous);
  if (options.authenticate !== undefined && typeof options.authenticate !== "function") fail("authenticate", "a function", options.authenticate);
  const jwt = options.jwt;
  if (jwt === undefined) return;
  if (typeof jwt !== "object" || jwt === null) fail("jwt", "an object", jwt);
  const keys = (["secret", "publicKey", "jwksUrl"] as const).filter((key) => jwt[key] !== undefined);
  if (keys.length !== 1) {
    throw new TypeError(`Switchboard option "auth.jwt" needs exactly one of "secret", "publicKey" or "jwksUrl", got ${keys.length === 0 ? "none" : keys.map((key) => `"${key}"`).join(" and ")}`);
  }
  if (jwt.secret !== undefined && (typeof jwt.secret !== "string" || jwt.secret.length < MIN_JWT_SECRET_LENGTH)) {
    throw new TypeError(
      `Switchboard option "auth.jwt.secret" must be a string of at least ${MIN_JWT_SECRET_LENGTH} characters, got ${typeof jwt.secret === "string" ? `${jwt.secret.length}` : describe(jwt.secret)}`,
    );
  }
  optionalString("jwt.publicKey", jwt.publicKey);
  if (jwt.jwksUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof jwt.jwksUrl === "string" ? new URL(jwt.jwksUrl) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) fail("jwt.jwksUrl", "an http(s) URL", jwt.jwksUrl);
  }
  optionalString("jwt.audience", jwt.audience);
  optionalString("jwt.issuer", jwt.issuer);
  optionalString("jwt.userIdClaim", jwt.userIdClaim);
  if (jwt.clockToleranceSec !== undefined && (typeof jwt.clockToleranceSec !== "number" || !Number.isFinite(jwt.clockToleranceSec) || jwt.clockToleranceSec < 0)) {
    fail("jwt.clockToleranceSec", "a non-negative number of seconds", jwt.clockToleranceSec);
  }
  if (jwt.maxTokenLength !== undefined && (!Number.isInteger(jwt.maxTokenLength) || jwt.maxTokenLength < 1)) fail("jwt.maxTokenLength", "a positive integer", jwt.maxTokenLength);
}

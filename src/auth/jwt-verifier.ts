import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { AuthenticationError } from "./identity.js";
import type { Identity } from "./identity.js";

export interface JwtOptions {
  /** HS256/384/512 shared secret. */
  secret?: string;
  /** PEM public key (RSA, EC or Ed25519) for RS*, PS*, ES*, EdDSA tokens. */
  publicKey?: string;
  /** A JWKS URL; keys are picked by `kid`. */
  jwksUrl?: string;
  audience?: string;
  issuer?: string;
  /** Allowed clock skew in seconds. Default 5. */
  clockToleranceSec?: number;
  /** The claim that holds the user id. Default "sub". */
  userIdClaim?: string;
  /** Tokens longer than this are refused unread. Default 4096. */
  maxTokenLength?: number;
}

type VerificationKey = Uint8Array | KeyObject | JWTVerifyGetKey;

function algorithmsFor(options: JwtOptions, publicKey: KeyObject | undefined): string[] {
  if (options.secret !== undefined) return ["HS256", "HS384", "HS512"];
  if (publicKey !== undefined) {
    switch (publicKey.asymmetricKeyType) {
      case "rsa":
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
      case "rsa-pss":
        return ["PS256", "PS384", "PS512"];
      case "ec":
        return ["ES256", "ES384", "ES512"];
      case "ed25519":
      case "ed448":
        return ["EdDSA"];
      default:
        throw new TypeError(`Switchboard option "auth.jwt.publicKey" (SWITCHBOARD_JWT_PUBLIC_KEY): unsupported key type ${publicKey.asymmetricKeyType ?? "unknown"}`);
    }
  }
  return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
}

/**
 * Verifies JWTs with `jose`. The accepted algorithms follow from the configured key
 * kind, so an HS token can never be checked against an RSA public key and `alg:
 * none` is never accepted.
 */
export class JwtVerifier {
  private readonly key: VerificationKey;
  private readonly algorithms: string[];
  private readonly options: JwtOptions;
  readonly description: string;

  /** `options` are validated by the caller (src/auth/auth-options.ts). */
  constructor(options: JwtOptions) {
    this.options = options;
    let publicKey: KeyObject | undefined;
    if (options.secret !== undefined) {
      this.key = new TextEncoder().encode(options.secret);
      this.description = "JWT (HS256 shared secret)";
    } else if (options.publicKey !== undefined) {
      try {
        publicKey = createPublicKey(options.publicKey);
      } catch (error) {
        throw new TypeError(`Switchboard option "auth.jwt.publicKey" (SWITCHBOARD_JWT_PUBLIC_KEY) is not a PEM public key: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.key = publicKey;
      this.description = `JWT (${publicKey.asymmetricKeyType ?? "public"} key)`;
    } else {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl!));
      this.description = `JWT (JWKS ${options.jwksUrl})`;
    }
    this.algorithms = algorithmsFor(options, publicKey);
    if (options.audience !== undefined) this.description += `, audience ${options.audience}`;
    if (options.issuer !== undefined) this.description += `, issuer ${options.issuer}`;
  }

  async verify(token: string): Promise<Identity> {
    if (token.length > (this.options.maxTokenLength ?? 4096)) throw new AuthenticationError("token too long");
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        algorithms: this.algorithms,
        clockTolerance: this.options.clockToleranceSec ?? 5,
        requiredClaims: ["exp"],
        ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
        ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
      };
      const result =
        typeof this.key === "function" ? await jwtVerify(token, this.key, verifyOptions) : await jwtVerify(token, this.key, verifyOptions);
      payload = result.payload;
    } catch (error) {
      throw new AuthenticationError(describeJoseError(error));
    }
    const claim = payload[this.options.userIdClaim ?? "sub"];
    // Numeric user ids (123) are common; they are exposed as strings, as every user id is.
    const userId = typeof claim === "number" && Number.isSafeInteger(claim) ? String(claim) : claim;
    if (typeof userId !== "string" || userId.length === 0) throw new AuthenticationError(`token has no "${this.options.userIdClaim ?? "sub"}" claim`);
    return { userId, claims: payload as Record<string, unknown>, expiresAt: (payload.exp as number) * 1000 };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "token expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim check failed: ${error.claim}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "token algorithm not allowed";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "token signature invalid";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key matches the token's kid";
  return "token invalid";
}

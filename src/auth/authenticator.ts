import type { IncomingMessage } from "node:http";
import { SwitchboardError } from "../protocol/error-codes.js";
import { AuthenticationError } from "./identity.js";
import type { AuthenticateHook, Identity } from "./identity.js";
import { validateAuthOptions } from "./auth-options.js";
import { JwtVerifier } from "./jwt-verifier.js";
import type { JwtOptions } from "./jwt-verifier.js";
import { extractToken } from "./token-source.js";

export interface AuthOptions {
  /** Verify a JWT from `?token=`, `Authorization: Bearer` or a `bearer.<token>` subprotocol. */
  jwt?: JwtOptions;
  /** Your own check of the upgrade request; takes precedence over `jwt`. */
  authenticate?: AuthenticateHook;
  /**
   * Allow anonymous connections. Alone: anyone connects (the default outside production
   * when nothing else is set). Beside `jwt`: a token, when one is given, must verify; a
   * connection without one is anonymous.
   */
  anonymous?: boolean;
}

const ANONYMOUS: Identity = Object.freeze({ userId: null, claims: Object.freeze({}) as Record<string, unknown> });

/** Decides who an upgrade request is, once, before the WebSocket handshake completes. */
export class Authenticator {
  readonly mode: "jwt" | "custom" | "anonymous";
  readonly description: string;
  readonly verifier: JwtVerifier | undefined;
  private readonly hook: AuthenticateHook | undefined;
  /** `jwt` with `anonymous: true`: no token means anonymous, a bad token is still refused. */
  private readonly tokenOptional: boolean;

  constructor(options: AuthOptions | undefined) {
    validateAuthOptions(options);
    const explicit = options !== undefined && (options.jwt !== undefined || options.authenticate !== undefined || options.anonymous === true);
    if (!explicit && process.env.NODE_ENV === "production") {
      throw new Error("Refusing to start in production without an explicit auth choice: set SWITCHBOARD_JWT_SECRET (or a public key / JWKS URL), or SWITCHBOARD_AUTH=anonymous.");
    }
    this.verifier = options?.jwt === undefined ? undefined : new JwtVerifier(options.jwt);
    this.hook = options?.authenticate;
    this.tokenOptional = this.verifier !== undefined && options?.anonymous === true;
    if (this.hook !== undefined) {
      this.mode = "custom";
      this.description = "custom authenticate() hook";
    } else if (this.verifier !== undefined) {
      this.mode = "jwt";
      this.description = this.tokenOptional ? `${this.verifier.description}; anonymous without a token` : this.verifier.description;
    } else {
      this.mode = "anonymous";
      this.description = "ANONYMOUS: anyone may connect without credentials";
    }
  }

  async authenticate(request: IncomingMessage): Promise<Identity> {
    if (this.hook !== undefined) {
      let identity: Identity | null;
      try {
        identity = await this.hook(request);
      } catch (error) {
        // A hook whose own backend is down says so; the upgrade then gets 503, not 401.
        if (error instanceof SwitchboardError && error.code === "unavailable") throw error;
        throw new AuthenticationError(error instanceof Error ? error.message : "authentication failed");
      }
      if (identity === null || identity === undefined) throw new AuthenticationError("authentication failed");
      return identity;
    }
    if (this.verifier !== undefined) {
      const token = extractToken(request);
      if (token === undefined) {
        if (this.tokenOptional) return ANONYMOUS;
        throw new AuthenticationError("missing token");
      }
      return this.verifier.verify(token);
    }
    return ANONYMOUS;
  }
}

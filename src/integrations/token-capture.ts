import type { IncomingMessage } from "node:http";
import { Authenticator } from "../auth/authenticator.js";
import type { AuthOptions } from "../auth/authenticator.js";
import type { Identity } from "../auth/identity.js";
import { extractToken } from "../auth/token-source.js";

/**
 * Remembers each connection's raw token so the event proxy can forward it when
 * (and only when) configured to. Switchboard does not keep tokens after the
 * upgrade, so authentication is wrapped: the identity gets its own claims
 * object, and the token is held in a WeakMap keyed by that object, gone with
 * the connection. A token sent later in an `auth` frame is not captured: the
 * proxy then forwards none.
 */
export class TokenCapture {
  private readonly tokens = new WeakMap<object, string>();

  /** Auth options doing the same checks as `auth`, recording the token. */
  wrap(auth: AuthOptions | undefined): AuthOptions {
    const inner = new Authenticator(auth);
    const authenticate = async (request: IncomingMessage): Promise<Identity> => {
      const identity = await inner.authenticate(request);
      const token = extractToken(request);
      if (token === undefined) return identity;
      const claims = { ...identity.claims };
      this.tokens.set(claims, token);
      return { ...identity, claims };
    };
    // `jwt` stays so tokens sent in `auth` frames can still be verified.
    return { ...auth, authenticate };
  }

  tokenFor(claims: object): string | undefined {
    return this.tokens.get(claims);
  }
}

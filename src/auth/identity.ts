import type { IncomingMessage } from "node:http";

/** Who is on the other end of a connection. */
export interface Identity {
  /** Null for anonymous connections. */
  userId: string | null;
  claims: Record<string, unknown>;
  /** When the credentials expire (ms since epoch); the connection is closed with 4001 then unless refreshed. */
  expiresAt?: number;
}

/**
 * A library user's own authentication: return the identity, or null (or throw) to
 * refuse the upgrade with 401.
 */
export type AuthenticateHook = (request: IncomingMessage) => Identity | null | Promise<Identity | null>;

export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthenticationError";
  }
}

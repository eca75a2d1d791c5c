import { SignJWT } from "jose";
import type { FastifyInstance } from "fastify";

export interface DevTokenOptions {
  /** The server's HS256 secret (SWITCHBOARD_JWT_SECRET). */
  secret: string;
  audience?: string | undefined;
  issuer?: string | undefined;
  /** Token lifetime; short, since anyone who can reach the page can mint one. */
  ttlSeconds?: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * POST /web/dev-token {"name"} -> {"token"}: a JWT whose `sub` is the name, so
 * the demo can be tried with JWT auth on. It lets anyone sign in as anyone, so
 * it is off unless SWITCHBOARD_WEB_DEV_TOKENS=on and refused in production.
 */
export function registerDevTokens(app: FastifyInstance, options: DevTokenOptions): void {
  const key = new TextEncoder().encode(options.secret);
  const ttl = options.ttlSeconds ?? 3_600;
  app.post("/web/dev-token", async (request, reply) => {
    const name = (request.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      return reply.code(400).send({ error: { code: "bad_request", message: '"name" must be 1-32 letters, digits, _ . or -.' } });
    }
    let jwt = new SignJWT({ dev: true }).setProtectedHeader({ alg: "HS256" }).setSubject(name).setIssuedAt().setExpirationTime(`${ttl}s`);
    if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
    if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
    return { token: await jwt.sign(key) };
  });
}

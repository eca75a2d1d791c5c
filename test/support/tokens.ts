import { SignJWT } from "jose";

export const TEST_SECRET = "switchboard-test-secret-0123456789";

export async function mintToken(claims: Record<string, unknown> & { sub?: string }, options: { secret?: string; expiresIn?: string | number; audience?: string; issuer?: string } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

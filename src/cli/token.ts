import { parseArgs } from "node:util";
import { SignJWT } from "jose";

export const TOKEN_USAGE = `Usage: switchboard token <userId> [--claim name=value ...] [--expires 1h] [--secret S]

Mints an HS256 JWT for development and tests, signed with SWITCHBOARD_JWT_SECRET
(or --secret), with SWITCHBOARD_JWT_AUDIENCE / SWITCHBOARD_JWT_ISSUER when set.
Claim values are parsed as JSON when they can be ("true", "3", '["a"]'), else kept as text.
Prints the token. Example: switchboard token 42 --claim role=admin --expires 15m`;

export class CliUsageError extends Error {}

/** The `token` command: prints a token; throws CliUsageError for bad flags. */
export async function mintCliToken(args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { claim: { type: "string", multiple: true }, expires: { type: "string" }, secret: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help === true) {
    console.log(TOKEN_USAGE);
    return undefined;
  }
  const [userId, ...extra] = positionals;
  if (userId === undefined || userId.length === 0 || extra.length > 0) throw new CliUsageError(`token needs exactly one user id.\n\n${TOKEN_USAGE}`);
  const secret = values.secret ?? env.SWITCHBOARD_JWT_SECRET;
  if (secret === undefined || secret.length < 16) throw new CliUsageError("token needs SWITCHBOARD_JWT_SECRET (or --secret), at least 16 characters: the secret the server verifies tokens with.");
  const claims: Record<string, unknown> = {};
  for (const pair of values.claim ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new CliUsageError(`--claim must be name=value, got "${pair}".`);
    const name = pair.slice(0, equals);
    if (["sub", "exp", "iat", "aud", "iss"].includes(name)) throw new CliUsageError(`--claim ${name} is set by the command itself.`);
    claims[name] = parseValue(pair.slice(equals + 1));
  }
  const expires = values.expires ?? "1h";
  if (!/^\d+\s*(s|m|h|d)$/.test(expires)) throw new CliUsageError(`--expires must look like 30s, 15m, 1h or 7d, got "${expires}".`);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(userId).setIssuedAt().setExpirationTime(expires);
  if (env.SWITCHBOARD_JWT_AUDIENCE) jwt = jwt.setAudience(env.SWITCHBOARD_JWT_AUDIENCE);
  if (env.SWITCHBOARD_JWT_ISSUER) jwt = jwt.setIssuer(env.SWITCHBOARD_JWT_ISSUER);
  return jwt.sign(new TextEncoder().encode(secret));
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

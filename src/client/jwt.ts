/**
 * Reads a JWT's `exp` (seconds since the epoch) without verifying it: the client
 * only needs to know when to fetch a fresh token; the server verifies.
 * Returns undefined for anything that is not a JWT with a numeric `exp`.
 */
export function tokenExpiry(token: string): number | undefined {
  const part = token.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as { exp?: unknown };
    return typeof payload.exp === "number" && Number.isFinite(payload.exp) ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

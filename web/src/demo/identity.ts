/**
 * Who the demo user is. Anonymous mode: a display name kept per tab
 * (sessionStorage), so two windows are two people. JWT mode: the token's `sub`.
 */
const NAME_KEY = "switchboard.demo.name";
const TOKEN_KEY = "switchboard.demo.token";

export function storedName(): string {
  const stored = sessionStorage.getItem(NAME_KEY);
  if (stored !== null && stored.length > 0) return stored;
  const name = `guest-${Math.random().toString(36).slice(2, 6)}`;
  sessionStorage.setItem(NAME_KEY, name);
  return name;
}

export function storeName(name: string): void {
  sessionStorage.setItem(NAME_KEY, name);
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The `sub` claim of a JWT, read without verifying (the server verifies; this is only for display). */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { sub?: unknown };
    return typeof claims.sub === "string" ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** Display names: short and plain, so they fit a presence list. */
export function cleanName(value: string): string {
  return value.trim().replace(/\s+/g, " ").slice(0, 32);
}

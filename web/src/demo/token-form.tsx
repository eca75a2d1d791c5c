import { useState } from "preact/hooks";
import { cleanName } from "./identity.ts";

interface Props {
  devTokens: boolean;
  onToken: (token: string) => void;
}

/**
 * Shown when the server requires JWT. With dev tokens on (development only) a
 * name is enough; otherwise the user pastes a token minted by their backend.
 */
export function TokenForm({ devTokens, onToken }: Props) {
  const [name, setName] = useState("");
  const [pasted, setPasted] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const requestToken = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const response = await fetch("/web/dev-token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: cleanName(name) }) });
      const body = (await response.json()) as { token?: string; error?: { message?: string } };
      if (!response.ok || body.token === undefined) throw new Error(body.error?.message ?? `the server answered ${response.status}`);
      onToken(body.token);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  const usePasted = (event: Event): void => {
    event.preventDefault();
    const token = pasted.trim();
    if (token.split(".").length !== 3) {
      setError("That does not look like a JWT (three dot-separated parts).");
      return;
    }
    onToken(token);
  };

  return (
    <section class="panel" aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      <p class="muted">This server requires a JWT to connect.</p>
      {devTokens && (
        <form onSubmit={requestToken}>
          <label for="dev-name">Your name</label>
          <div class="row">
            <input id="dev-name" class="grow" required maxLength={32} pattern="[A-Za-z0-9_.\-]+" autoComplete="nickname" value={name} onInput={(event) => setName(event.currentTarget.value)} />
            <button type="submit" disabled={busy}>Get a demo token</button>
          </div>
          <p class="small muted">Demo tokens come from the development-only endpoint enabled with SWITCHBOARD_WEB_DEV_TOKENS=on.</p>
        </form>
      )}
      <form onSubmit={usePasted}>
        <label for="token">Paste a token</label>
        <textarea id="token" rows={3} spellcheck={false} value={pasted} onInput={(event) => setPasted(event.currentTarget.value)} />
        <p class="small muted">
          A token signed with the server's key, whose <code>sub</code> is your user id. For a local server with
          SWITCHBOARD_JWT_SECRET set, see docs/web.md for a one-line command that mints one.
        </p>
        <button type="submit">Use this token</button>
      </form>
      {error !== null && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

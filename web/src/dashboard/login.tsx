import { useState } from "preact/hooks";
import { Api, ApiError } from "./api.ts";

/** Asks for a server API key and checks it with GET /api/stats before keeping it. */
export function Login({ onKey }: { onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await new Api(key.trim()).get("/api/stats");
      onKey(key.trim());
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : `Cannot reach the server API: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header class="top">
        <h1>Switchboard dashboard</h1>
        <a href="/">Demo app</a>
      </header>
      <main>
        <form class="panel" style="max-width:32rem;margin:2rem auto" onSubmit={submit}>
          <h2>Sign in</h2>
          <label for="api-key">Server API key</label>
          <input id="api-key" type="password" required minLength={1} autoComplete="current-password" value={key} onInput={(event) => setKey(event.currentTarget.value)} />
          <p class="small muted">One of the keys in SWITCHBOARD_API_KEY. It is kept for this tab only (sessionStorage).</p>
          <button type="submit" disabled={busy || key.trim().length === 0}>Open dashboard</button>
          {error !== null && <p class="error" role="alert" data-testid="login-error">{error}</p>}
        </form>
      </main>
    </>
  );
}

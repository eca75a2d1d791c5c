import { useEffect, useState } from "preact/hooks";
import { loadWebConfig } from "../shared/web-config.ts";
import type { WebConfig } from "../shared/web-config.ts";
import { storedToken, storeToken } from "./identity.ts";
import { Session } from "./session.tsx";
import { TokenForm } from "./token-form.tsx";

/** Loads the server's web config, asks for a token when the server requires JWT, then connects. */
export function App() {
  const [config, setConfig] = useState<WebConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState<string | null>(() => storedToken());

  useEffect(() => {
    loadWebConfig().then(setConfig, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, []);

  const signOut = (): void => {
    storeToken(null);
    setToken(null);
  };

  let body;
  if (error !== null) body = <p class="error" role="alert">Cannot load the page settings: {error}</p>;
  else if (config === null) body = <p class="muted">Loading…</p>;
  else if (config.auth === "jwt" && token === null) {
    body = (
      <TokenForm
        devTokens={config.devTokens}
        onToken={(value) => {
          storeToken(value);
          setToken(value);
        }}
      />
    );
  } else return <Session key={token ?? "anonymous"} config={config} token={config.auth === "jwt" ? token : null} onSignOut={signOut} />;

  return (
    <>
      <header class="top">
        <h1>Switchboard demo</h1>
      </header>
      <main>{body}</main>
    </>
  );
}

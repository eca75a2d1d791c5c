import { useMemo, useState } from "preact/hooks";
import { Api } from "./api.ts";
import { Dashboard } from "./dashboard.tsx";
import { Login } from "./login.tsx";

/** The key lives in sessionStorage: gone when the tab closes, never in a cookie. */
const KEY_STORAGE = "switchboard.dashboard.apiKey";

/**
 * A key handed over in the link (`/dashboard#key=…`, what `switchboard start` prints in a
 * terminal): kept like a typed one, then removed from the address bar and history.
 */
function keyFromLink(): string | null {
  const match = /^#key=(.+)$/.exec(location.hash);
  if (match === null) return null;
  history.replaceState(null, "", location.pathname + location.search);
  const key = decodeURIComponent(match[1]!);
  sessionStorage.setItem(KEY_STORAGE, key);
  return key;
}

export function App() {
  const [key, setKey] = useState<string | null>(() => keyFromLink() ?? sessionStorage.getItem(KEY_STORAGE));
  const api = useMemo(() => (key === null ? null : new Api(key)), [key]);

  const signIn = (value: string): void => {
    sessionStorage.setItem(KEY_STORAGE, value);
    setKey(value);
  };
  const signOut = (): void => {
    sessionStorage.removeItem(KEY_STORAGE);
    setKey(null);
  };

  return api === null ? <Login onKey={signIn} /> : <Dashboard api={api} onSignOut={signOut} />;
}

import { useMemo, useState } from "preact/hooks";
import { Api } from "./api.ts";
import { Dashboard } from "./dashboard.tsx";
import { Login } from "./login.tsx";

/** The key lives in sessionStorage: gone when the tab closes, never in a cookie. */
const KEY_STORAGE = "switchboard.dashboard.apiKey";

export function App() {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(KEY_STORAGE));
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

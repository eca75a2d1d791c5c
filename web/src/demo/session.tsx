import { useEffect, useMemo, useState } from "preact/hooks";
import { webSocketUrl } from "../shared/web-config.ts";
import type { WebConfig } from "../shared/web-config.ts";
import { ConnectionBanner } from "./connection-banner.tsx";
import type { BannerNotice } from "./connection-banner.tsx";
import { ChatRoom } from "./chat-room.tsx";
import { cleanName, storedName, storeName, tokenSubject } from "./identity.ts";
import { Lobby } from "./lobby.tsx";
import { connect } from "./sdk.ts";
import type { ConnectionState, StateInfo } from "./sdk.ts";

interface Props {
  config: WebConfig;
  token: string | null;
  onSignOut: () => void;
}

/** The room in the address (#room=chat:general), so a reload lands in the same chat. */
function roomFromHash(): string | null {
  const match = /^#room=(.+)$/.exec(location.hash);
  return match === null ? null : decodeURIComponent(match[1]!);
}

/** One SDK connection for the page's lifetime: the banner, the lobby and the open room. */
export function Session({ config, token, onSignOut }: Props) {
  const client = useMemo(() => connect(webSocketUrl(config), token === null ? {} : { token }), [config, token]);
  const [state, setState] = useState<ConnectionState>(client.state as ConnectionState);
  const [info, setInfo] = useState<StateInfo | undefined>(undefined);
  const [notice, setNotice] = useState<BannerNotice | null>(null);
  // The last drop stays visible after reconnecting, so a user sees why the page blinked.
  const [lastClose, setLastClose] = useState<StateInfo | undefined>(undefined);
  const [room, setRoom] = useState<string | null>(() => roomFromHash());
  const [name, setName] = useState(() => (token === null ? storedName() : (tokenSubject(token) ?? "you")));

  useEffect(() => {
    const onState = (next: ConnectionState, detail?: StateInfo): void => {
      setState(next);
      setInfo(detail);
      if ((next === "reconnecting" || next === "closed") && detail?.code !== undefined) setLastClose(detail);
    };
    const stopListening = client.on("state", onState);
    // The client starts connecting when it is created, during render, and effects run only after
    // paint (late in a background or busy tab): it may be connected already, so catch up.
    onState(client.state as ConnectionState, client.stateInfo);
    return () => {
      stopListening();
      void client.close();
    };
  }, [client]);

  useEffect(() => {
    const onHash = (): void => setRoom(roomFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const open = (next: string | null): void => {
    location.hash = next === null ? "" : `room=${encodeURIComponent(next)}`;
    setRoom(next);
  };

  const rename = (value: string): void => {
    const clean = cleanName(value);
    if (clean.length === 0) return;
    storeName(clean);
    setName(clean);
  };

  return (
    <>
      <ConnectionBanner state={state} info={info} lastClose={lastClose} notice={notice} />
      <header class="top">
        <h1>Switchboard demo</h1>
        <div class="row">
          <span class="muted small" data-testid="me">signed in as <strong>{name}</strong></span>
          {token !== null && <button class="secondary" type="button" onClick={onSignOut}>Sign out</button>}
          <a href="/dashboard" class="small">Dashboard</a>
        </div>
      </header>
      <main>
        {token !== null && state === "reconnecting" && (info?.attempt ?? 0) >= 2 && (
          <p class="panel" role="alert">
            Still not connected. If your token is invalid or expired, <button type="button" class="secondary" onClick={onSignOut}>sign out</button> and use another.
          </p>
        )}
        {room === null ? (
          <Lobby name={name} canRename={token === null} onRename={rename} onOpen={open} />
        ) : (
          <ChatRoom key={room} client={client} room={room} name={name} onLeave={() => open(null)} onNotice={setNotice} />
        )}
      </main>
    </>
  );
}

import { useState } from "preact/hooks";

interface Props {
  name: string;
  canRename: boolean;
  onRename: (name: string) => void;
  onOpen: (room: string) => void;
}

const ROOMS = [
  { room: "chat:general", about: "Say hello" },
  { room: "chat:random", about: "Anything goes" },
  { room: "chat:help", about: "Questions about Switchboard" },
];
const ROOM_PART = /^[A-Za-z0-9_\-.]{1,48}$/;

/** Pick a room (or name a new one) and, when anonymous, a display name. */
export function Lobby({ name, canRename, onRename, onOpen }: Props) {
  const [draftName, setDraftName] = useState(name);
  const [custom, setCustom] = useState("");
  const customValid = ROOM_PART.test(custom);

  return (
    <>
      {canRename && (
        <form
          class="panel"
          onSubmit={(event) => {
            event.preventDefault();
            onRename(draftName);
          }}
        >
          <label for="display-name">Display name</label>
          <div class="row">
            <input id="display-name" class="grow" maxLength={32} value={draftName} onInput={(event) => setDraftName(event.currentTarget.value)} />
            <button type="submit" class="secondary">Save name</button>
          </div>
          <p class="small muted">You are anonymous on this server; the name travels with your messages.</p>
        </form>
      )}
      <section class="panel" aria-labelledby="lobby-title">
        <h2 id="lobby-title">Rooms</h2>
        <ul class="plain rooms">
          {ROOMS.map(({ room, about }) => (
            <li key={room}>
              <button type="button" style="width:100%;text-align:left" data-room={room} onClick={() => onOpen(room)}>
                <strong>#{room.slice("chat:".length)}</strong>
                <br />
                <span class="small">{about}</span>
              </button>
            </li>
          ))}
        </ul>
        <form
          style="margin-top:1rem"
          onSubmit={(event) => {
            event.preventDefault();
            if (customValid) onOpen(`chat:${custom}`);
          }}
        >
          <label for="custom-room">Or open a room by name</label>
          <div class="row">
            <input id="custom-room" class="grow" placeholder="my-team" value={custom} aria-describedby="custom-room-help" onInput={(event) => setCustom(event.currentTarget.value)} />
            <button type="submit" disabled={!customValid}>Join</button>
          </div>
          <p id="custom-room-help" class="small muted">Letters, digits, - _ . (up to 48).</p>
        </form>
      </section>
    </>
  );
}

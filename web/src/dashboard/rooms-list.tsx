import { useState } from "preact/hooks";
import type { Api } from "./api.ts";
import { usePolling } from "./use-polling.ts";
import type { RoomCount } from "./types.ts";

const REFRESH_MS = 2_000;
const SHOWN = 50;

/** Rooms ranked by members (GET /api/rooms, refreshed every two seconds). */
export function RoomsList({ api, selected, onSelect }: { api: Api; selected: string | null; onSelect: (room: string) => void }) {
  const [rooms, setRooms] = useState<RoomCount[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  usePolling(
    async (signal) => {
      const body = await api.get<{ rooms: RoomCount[] }>("/api/rooms", signal);
      setRooms(body.rooms);
    },
    setError,
    REFRESH_MS,
    [api],
  );

  return (
    <section class="panel" aria-labelledby="rooms-title">
      <h2 id="rooms-title">Rooms by members</h2>
      {error !== null && <p class="error small">{error}</p>}
      {rooms === null ? (
        <p class="muted">Loading…</p>
      ) : rooms.length === 0 ? (
        <p class="muted small">No rooms with members.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="rooms">
            <thead>
              <tr>
                <th scope="col">room</th>
                <th scope="col">connections</th>
              </tr>
            </thead>
            <tbody>
              {rooms.slice(0, SHOWN).map(({ room, connections }) => (
                <tr key={room}>
                  <td>
                    <button type="button" class={room === selected ? "" : "secondary"} aria-pressed={room === selected} data-room={room} onClick={() => onSelect(room)}>
                      {room}
                    </button>
                  </td>
                  <td>{connections}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

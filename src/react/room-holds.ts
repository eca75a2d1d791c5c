/**
 * How many subscriptions use each room of a client. The client has one Room per
 * name, so two components on the same room (or React StrictMode mounting twice)
 * share it: the room is left only when the last of them lets go.
 */
const holds = new WeakMap<object, Map<string, number>>();

export function holdRoom(client: object, name: string): void {
  const rooms = holds.get(client) ?? new Map<string, number>();
  holds.set(client, rooms);
  rooms.set(name, (rooms.get(name) ?? 0) + 1);
}

/** Lets go of one hold; true when nobody holds the room any more. */
export function releaseRoom(client: object, name: string): boolean {
  const rooms = holds.get(client);
  const left = (rooms?.get(name) ?? 1) - 1;
  if (left > 0) rooms?.set(name, left);
  else rooms?.delete(name);
  return left <= 0;
}

export function isHeld(client: object, name: string): boolean {
  return (holds.get(client)?.get(name) ?? 0) > 0;
}

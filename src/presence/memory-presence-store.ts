import type { PresenceMember } from "../protocol/frames.js";
import { SwitchboardError } from "../protocol/error-codes.js";
import { groupByUser } from "./presence-store.js";
import type { PresenceEntry, PresenceEntryPage, PresenceStore } from "./presence-store.js";

interface RoomEntries {
  /** In order of joining: a re-added entry moves to the end with a new sequence number. */
  entries: Map<string, { entry: PresenceEntry; seq: number }>;
  nextSeq: number;
}

/** The reference PresenceStore: one process, exact, no expiry needed. */
export class MemoryPresenceStore implements PresenceStore {
  readonly name = "memory";
  private readonly byRoom = new Map<string, RoomEntries>();

  async add(room: string, entry: PresenceEntry): Promise<number> {
    let state = this.byRoom.get(room);
    if (state === undefined) {
      state = { entries: new Map(), nextSeq: 1 };
      this.byRoom.set(room, state);
    }
    state.entries.delete(entry.connectionId);
    state.entries.set(entry.connectionId, { entry, seq: state.nextSeq++ });
    return state.entries.size;
  }

  async update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean> {
    const entry = this.byRoom.get(room)?.entries.get(connectionId)?.entry;
    if (entry === undefined) return false;
    if (meta === undefined) delete entry.meta;
    else entry.meta = meta;
    return true;
  }

  async remove(room: string, connectionId: string): Promise<void> {
    const state = this.byRoom.get(room);
    if (state === undefined) return;
    state.entries.delete(connectionId);
    if (state.entries.size === 0) this.byRoom.delete(room);
  }

  async members(room: string): Promise<PresenceMember[]> {
    const state = this.byRoom.get(room);
    return state === undefined ? [] : groupByUser([...state.entries.values()].map((row) => row.entry));
  }

  async count(room: string): Promise<number> {
    return this.byRoom.get(room)?.entries.size ?? 0;
  }

  /** The cursor is the sequence number of the last entry returned; later pages skip up to it. */
  async page(room: string, cursor: string | undefined, limit: number): Promise<PresenceEntryPage> {
    const after = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isSafeInteger(after) || after < 0) throw new SwitchboardError("bad_request", '"cursor" is not a cursor this server returned.');
    const state = this.byRoom.get(room);
    if (state === undefined) return { entries: [], cursor: null };
    const entries: PresenceEntry[] = [];
    let last = after;
    let more = false;
    for (const { entry, seq } of state.entries.values()) {
      if (seq <= after) continue;
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(copy(entry));
      last = seq;
    }
    return { entries, cursor: more ? String(last) : null };
  }

  async rooms(): Promise<Array<{ room: string; connections: number }>> {
    return [...this.byRoom].map(([room, state]) => ({ room, connections: state.entries.size }));
  }

  async close(): Promise<void> {
    this.byRoom.clear();
  }
}

/** Pages leave the store: a later meta update must not change a page already handed out. */
function copy(entry: PresenceEntry): PresenceEntry {
  const out: PresenceEntry = { connectionId: entry.connectionId, userId: entry.userId, node: entry.node };
  if (entry.meta !== undefined) out.meta = entry.meta;
  return out;
}

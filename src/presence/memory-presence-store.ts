import type { PresenceMember } from "../protocol/frames.js";
import { groupByUser } from "./presence-store.js";
import type { PresenceEntry, PresenceStore } from "./presence-store.js";

/** The reference PresenceStore: one process, exact, no expiry needed. */
export class MemoryPresenceStore implements PresenceStore {
  readonly name = "memory";
  private readonly byRoom = new Map<string, Map<string, PresenceEntry>>();

  async add(room: string, entry: PresenceEntry): Promise<void> {
    let entries = this.byRoom.get(room);
    if (entries === undefined) {
      entries = new Map();
      this.byRoom.set(room, entries);
    }
    entries.set(entry.connectionId, entry);
  }

  async update(room: string, connectionId: string, meta: Record<string, unknown> | undefined): Promise<boolean> {
    const entry = this.byRoom.get(room)?.get(connectionId);
    if (entry === undefined) return false;
    if (meta === undefined) delete entry.meta;
    else entry.meta = meta;
    return true;
  }

  async remove(room: string, connectionId: string): Promise<void> {
    const entries = this.byRoom.get(room);
    if (entries === undefined) return;
    entries.delete(connectionId);
    if (entries.size === 0) this.byRoom.delete(room);
  }

  async members(room: string): Promise<PresenceMember[]> {
    const entries = this.byRoom.get(room);
    return entries === undefined ? [] : groupByUser(entries.values());
  }

  async rooms(): Promise<Array<{ room: string; connections: number }>> {
    return [...this.byRoom].map(([room, entries]) => ({ room, connections: entries.size }));
  }

  async close(): Promise<void> {
    this.byRoom.clear();
  }
}

import type { Frame, TestClient } from "./client.js";

interface DiffEntry {
  connectionId: string;
  userId: string | null;
  meta?: Record<string, unknown>;
}

/**
 * Reads a room's coalesced presence frames from a raw client and remembers which
 * connections were seen joining, leaving and updating, for tests that wait for
 * "every one of these left" without caring how the server batched the frames.
 */
export class PresenceTally {
  readonly joined = new Set<string>();
  readonly left = new Set<string>();
  readonly updated = new Map<string, Record<string, unknown> | undefined>();

  constructor(
    private readonly client: TestClient,
    private readonly room: string,
  ) {}

  /** Consumes presence frames of the room until `done()` holds; rejects when that takes longer than `timeoutMs`. */
  async until(done: (tally: PresenceTally) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`presence of ${this.room}: condition not met within ${timeoutMs} ms (joined ${this.joined.size}, left ${this.left.size}, updated ${this.updated.size})`);
      this.apply(await this.client.next((frame) => frame.type === "presence" && frame.room === this.room, remaining));
    }
  }

  private apply(frame: Frame): void {
    const data = frame.data as { joined?: DiffEntry[]; left?: DiffEntry[]; updated?: DiffEntry[] };
    for (const entry of data.joined ?? []) {
      this.joined.add(entry.connectionId);
      if (entry.meta !== undefined) this.updated.set(entry.connectionId, entry.meta);
    }
    for (const entry of data.left ?? []) this.left.add(entry.connectionId);
    for (const entry of data.updated ?? []) this.updated.set(entry.connectionId, entry.meta);
  }
}

/** True when every id is in the set. */
export function hasAll(set: ReadonlySet<string> | ReadonlyMap<string, unknown>, ids: Iterable<string>): boolean {
  for (const id of ids) if (!set.has(id)) return false;
  return true;
}

/**
 * One room's kept messages, oldest first, outside the JavaScript heap: the frames' bytes in one
 * buffer and each message's offset, expiry and place in that buffer in one Float64Array.
 *
 * Why not an array of { offset, frame } objects: every kept message then outlives the young
 * generation, so each scavenge copies the newest frames and promotes them, and the old arrays
 * pointing at them are rescanned. At a few thousand publications a second that made the
 * collector's pauses twice as long as a server that keeps nothing, and those pauses are what a
 * publication's tail latency waits for. Here a publication leaves no object behind.
 */

/** Float64 slots per message: offset, expiry (ms since epoch), virtual start of its bytes, byte length. */
const SLOTS = 4;
const MIN_MESSAGES = 8;
const MIN_BYTES = 1024;
/** What a room with nothing kept holds: nothing (a joined room that is never published to costs no buffers). */
const NO_META = new Float64Array(0);
const NO_BYTES = Buffer.alloc(0);

export class MessageLog {
  /** The messages' fields, a ring of `capacity` messages starting at `head`. */
  private meta = NO_META;
  private capacity = 0;
  private head = 0;
  private count = 0;
  /** The frames' bytes, back to back from `start` to `end` (physical indexes). */
  private data: Buffer = NO_BYTES;
  private start = 0;
  private end = 0;
  /**
   * The virtual position of physical index 0: messages record virtual starts, so moving the bytes
   * to the front of the buffer shifts this one number, not every message.
   */
  private base = 0;

  get length(): number {
    return this.count;
  }

  /** Appends a message; returns its size in bytes (what the store's budgets count, beside an overhead). */
  push(offset: number, expiresAt: number, frame: string): number {
    const bytes = Buffer.byteLength(frame);
    this.reserve(bytes);
    this.data.write(frame, this.end, bytes, "utf8");
    if (this.count === this.capacity) this.growMeta();
    const slot = ((this.head + this.count) % this.capacity) * SLOTS;
    this.meta[slot] = offset;
    this.meta[slot + 1] = expiresAt;
    this.meta[slot + 2] = this.base + this.end;
    this.meta[slot + 3] = bytes;
    this.count++;
    this.end += bytes;
    return bytes;
  }

  /** Drops the oldest message; returns its size in bytes. */
  dropOldest(): number {
    const slot = this.head * SLOTS;
    const bytes = this.meta[slot + 3]!;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    if (this.count === 0) this.clear();
    else this.start = this.meta[this.head * SLOTS + 2]! - this.base;
    return bytes;
  }

  /** The i-th oldest message's offset. */
  offsetAt(index: number): number {
    return this.meta[this.slotOf(index)]!;
  }

  /** The i-th oldest message's expiry. */
  expiresAt(index: number): number {
    return this.meta[this.slotOf(index) + 1]!;
  }

  /** The i-th oldest message's frame, decoded from the log's bytes. */
  frameAt(index: number): string {
    const slot = this.slotOf(index);
    const from = this.meta[slot + 2]! - this.base;
    return this.data.toString("utf8", from, from + this.meta[slot + 3]!);
  }

  /** Lowers every message's expiry to `until` at most. */
  capExpiry(until: number): void {
    for (let index = 0; index < this.count; index++) {
      const slot = this.slotOf(index) + 1;
      if (this.meta[slot]! > until) this.meta[slot] = until;
    }
  }

  /** Forgets every message and gives back the buffers. */
  clear(): void {
    this.head = 0;
    this.count = 0;
    this.start = 0;
    this.end = 0;
    this.base = 0;
    this.data = NO_BYTES;
    this.capacity = 0;
    this.meta = NO_META;
  }

  private slotOf(index: number): number {
    return ((this.head + index) % this.capacity) * SLOTS;
  }

  /** Makes room for `bytes` after `end`: moves the kept bytes to the front, or into a buffer sized for them. */
  private reserve(bytes: number): void {
    if (this.end + bytes <= this.data.length) return;
    const kept = this.end - this.start;
    const needed = kept + bytes;
    let size = MIN_BYTES;
    while (size < needed * 2) size *= 2;
    // The same buffer when it is the right size; a smaller one when the room now keeps far less than it did.
    const target = size === this.data.length || (size < this.data.length && this.data.length <= size * 4) ? this.data : Buffer.allocUnsafeSlow(size);
    this.data.copy(target, 0, this.start, this.end);
    this.data = target;
    this.base += this.start;
    this.start = 0;
    this.end = kept;
  }

  private growMeta(): void {
    const capacity = Math.max(MIN_MESSAGES, this.capacity * 2);
    const grown = new Float64Array(capacity * SLOTS);
    for (let index = 0; index < this.count; index++) grown.set(this.meta.subarray(this.slotOf(index), this.slotOf(index) + SLOTS), index * SLOTS);
    this.meta = grown;
    this.capacity = capacity;
    this.head = 0;
  }
}

interface Batch<Item, Result> {
  items: Item[];
  waiters: Array<{ resolve: (result: Result) => void; reject: (error: unknown) => void }>;
}

/**
 * Collects the requests for one key made in one turn of the event loop and runs
 * them as one batch at its end (setImmediate: after the I/O callbacks of the
 * turn, so every frame read from the sockets in it is in). In a join storm a
 * node reads hundreds of joins to one room per turn; each would otherwise cost
 * its own Redis commands, and a shared Redis falls behind its command timeout.
 * A request alone costs one turn, nothing more.
 */
export class TurnBatches<Item, Result> {
  private readonly pending = new Map<string, Batch<Item, Result>>();

  constructor(private readonly run: (key: string, items: Item[]) => Promise<Result>) {}

  /** Adds an item to the key's batch; resolves with what the batch's run resolved with. */
  add(key: string, item: Item): Promise<Result> {
    let batch = this.pending.get(key);
    if (batch === undefined) {
      const created: Batch<Item, Result> = { items: [], waiters: [] };
      batch = created;
      this.pending.set(key, created);
      setImmediate(() => this.flush(key, created));
    }
    batch.items.push(item);
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  /** Runs every pending batch now (on close), and resolves when they are done. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending].map(([key, batch]) => this.flush(key, batch)));
  }

  private async flush(key: string, batch: Batch<Item, Result>): Promise<void> {
    // A batch runs once: drained already, or this is the drain and its timer comes later.
    if (this.pending.get(key) !== batch) return;
    this.pending.delete(key);
    try {
      const result = await this.run(key, batch.items);
      for (const waiter of batch.waiters) waiter.resolve(result);
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
    }
  }
}

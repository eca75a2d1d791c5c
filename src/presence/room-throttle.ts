interface RoomState {
  /** Another send is due at the end of the interval. */
  pending: boolean;
  sending: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Failed sends in a row. */
  failures: number;
}

export interface RoomThrottleEvents {
  /** A send failed; `attempt`: failed sends of this room in a row, this one included (log the first of a streak). */
  onFailure: (error: unknown, room: string, attempt: number) => void;
  /** A send succeeded after failing; `attempts`: the sends it took. */
  onRecovered?: (room: string, attempts: number) => void;
}

/**
 * Per room, a throttle with leading and trailing edge for a send whose latest run
 * stands for every request before it (a room's count frame): the first request
 * sends at once, those within the next interval send once at its end, so the last
 * state of a burst always goes out. A send that fails is due again and retried
 * every interval until one succeeds (the send decides when nothing is left to do).
 */
export class RoomThrottle {
  private readonly rooms = new Map<string, RoomState>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (room: string) => Promise<void>,
    private readonly events: RoomThrottleEvents,
  ) {}

  request(room: string): void {
    const known = this.rooms.get(room);
    if (known !== undefined) {
      known.pending = true;
      return;
    }
    const state: RoomState = { pending: false, sending: false, timer: undefined, failures: 0 };
    this.rooms.set(room, state);
    this.start(room, state);
    this.arm(room, state);
  }

  close(): void {
    for (const state of this.rooms.values()) clearTimeout(state.timer);
    this.rooms.clear();
  }

  private tick(room: string, state: RoomState): void {
    if (this.rooms.get(room) !== state) return;
    // A send still in flight may yet fail and be due again: the room is not forgotten before it settles.
    if (!state.sending) {
      if (!state.pending) {
        this.rooms.delete(room);
        return;
      }
      state.pending = false;
      this.start(room, state);
    }
    this.arm(room, state);
  }

  private start(room: string, state: RoomState): void {
    state.sending = true;
    this.send(room).then(
      () => {
        state.sending = false;
        if (state.failures > 0) this.events.onRecovered?.(room, state.failures + 1);
        state.failures = 0;
      },
      (error: unknown) => {
        state.sending = false;
        state.pending = true;
        state.failures++;
        this.events.onFailure(error, room, state.failures);
      },
    );
  }

  private arm(room: string, state: RoomState): void {
    state.timer = setTimeout(() => this.tick(room, state), this.intervalMs);
    state.timer.unref();
  }
}

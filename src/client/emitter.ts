/** Listener signatures keyed by event name. */
export type ListenerMap<Events> = { [Event in keyof Events]: (...args: never[]) => void };

/**
 * A tiny typed event emitter (browsers have no EventEmitter and EventTarget
 * cannot carry several arguments). A throwing listener does not stop the others
 * or the SDK's own bookkeeping: its error is rethrown on a fresh task, as the DOM does.
 */
export class Emitter<Events extends ListenerMap<Events>> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<Event extends keyof Events>(event: Event, listener: Events[Event]): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<Event extends keyof Events>(event: Event, listener: Events[Event]): () => void {
    const wrapper = ((...args: Parameters<Events[Event]>) => {
      off();
      (listener as (...args: Parameters<Events[Event]>) => void)(...args);
    }) as Events[Event];
    const off = this.on(event, wrapper);
    return off;
  }

  off<Event extends keyof Events>(event: Event, listener: Events[Event]): void {
    this.listeners.get(event)?.delete(listener);
  }

  emit<Event extends keyof Events>(event: Event, ...args: Parameters<Events[Event]>): void {
    const set = this.listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (...args: Parameters<Events[Event]>) => void)(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  removeAll(): void {
    this.listeners.clear();
  }
}

import type { Broker, BrokerHealth, BrokerMessage, BrokerMessageHandler } from "./broker.js";

const DELIVERED: Promise<void> = Promise.resolve();

/**
 * The reference Broker: one process, delivery on the publisher's call stack so
 * a broadcast costs no serialization and no extra turn of the event loop.
 */
export class MemoryBroker implements Broker {
  readonly name = "memory";
  private readonly topics = new Set<string>();
  private onMessage: BrokerMessageHandler | undefined;
  private closed = false;

  async start(onMessage: BrokerMessageHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  /** Delivers before it returns; the promise it returns is settled already. */
  publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error("broker closed"));
    try {
      if (this.onMessage !== undefined && this.topics.has(topic)) this.onMessage(topic, message);
    } catch (error) {
      return Promise.reject(error);
    }
    // One settled promise for every publication: a broadcast allocates none here.
    return DELIVERED;
  }

  async subscribe(topic: string): Promise<void> {
    this.topics.add(topic);
  }

  async unsubscribe(topic: string): Promise<void> {
    this.topics.delete(topic);
  }

  health(): BrokerHealth {
    return this.closed ? { ok: false, detail: "closed" } : { ok: true };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
  }
}

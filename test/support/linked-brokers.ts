import type { Broker, BrokerHealth, BrokerMessage, BrokerMessageHandler } from "switchboard";

/**
 * Brokers for several Switchboards in one test process, linked the way a
 * network broker links nodes: every publish reaches each linked broker
 * subscribed to the topic (the publisher's own included), as a JSON copy, on a
 * later turn of the event loop, in publish order. Used to test multi-node
 * behaviour without a Redis server; the Redis tests run the same suite for real.
 */
export function linkedBrokers(count: number): Broker[] {
  const group: LinkedBroker[] = [];
  for (let index = 0; index < count; index++) group.push(new LinkedBroker(group));
  return group;
}

class LinkedBroker implements Broker {
  readonly name = "linked-memory";
  private readonly group: LinkedBroker[];
  private readonly topics = new Set<string>();
  private onMessage: BrokerMessageHandler | undefined;
  private closed = false;

  constructor(group: LinkedBroker[]) {
    this.group = group;
  }

  async start(onMessage: BrokerMessageHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) throw new Error("broker closed");
    const wire = JSON.stringify(message);
    setImmediate(() => {
      for (const broker of this.group) broker.deliver(topic, wire);
    });
  }

  private deliver(topic: string, wire: string): void {
    if (this.closed || this.onMessage === undefined || !this.topics.has(topic)) return;
    this.onMessage(topic, JSON.parse(wire) as BrokerMessage);
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

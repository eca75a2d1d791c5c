import type { Broker, BrokerHealth, BrokerMessage, BrokerMessageHandler } from "switchboard";

/**
 * Several in-process Switchboard nodes sharing one message bus: each node gets
 * its own Broker, and a publish reaches every node subscribed to the topic, as
 * a cluster broker would. For multi-node tests without a Redis broker.
 */
export class SharedBus {
  private readonly brokers = new Set<BusBroker>();

  broker(): Broker {
    const broker = new BusBroker(this.brokers);
    this.brokers.add(broker);
    return broker;
  }
}

class BusBroker implements Broker {
  readonly name = "shared-bus";
  readonly topics = new Set<string>();
  onMessage: BrokerMessageHandler | undefined;
  private closed = false;

  constructor(private readonly peers: Set<BusBroker>) {}

  async start(onMessage: BrokerMessageHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (this.closed) throw new Error("broker closed");
    // Each node receives its own copy, as it would after a round trip through Redis.
    for (const peer of this.peers) if (peer.topics.has(topic)) peer.onMessage?.(topic, structuredClone(message));
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
    this.peers.delete(this);
  }
}

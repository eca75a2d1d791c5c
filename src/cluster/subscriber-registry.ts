import type { ClusterHandler, ClusterMatcher, ClusterMiddleware, ClusterPredicate, ClusterSubscription } from "./types.js";

/** A registered subscriber, with its matchers split by kind so matching is cheap. */
export interface Subscriber {
  readonly name: string;
  readonly priority: number;
  /** Registration order, the tie-breaker between equal priorities. */
  readonly sequence: number;
  readonly channels: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  readonly predicates: readonly ClusterPredicate[];
  readonly middleware: readonly ClusterMiddleware[];
  readonly handler: ClusterHandler;
  /** Runs started and not yet settled (see ClusterOptions.maxPending). */
  pending: number;
}

/**
 * Holds subscribers sorted by priority (higher first, then registration order),
 * so matching an event is one ordered pass.
 */
export class SubscriberRegistry {
  private subscribers: Subscriber[] = [];
  private sequence = 0;

  add<Payload>(subscription: ClusterSubscription<Payload>, handler: ClusterHandler<Payload>): Subscriber {
    if (typeof handler !== "function") throw new TypeError("cluster.on(): a handler function is required");
    if (typeof subscription !== "object" || subscription === null) throw new TypeError("cluster.on(): the first argument must be { channel | channels | match, ... }");
    const channels = new Set<string>();
    if (subscription.channel !== undefined) channels.add(checkChannel(subscription.channel, "channel"));
    for (const channel of subscription.channels ?? []) channels.add(checkChannel(channel, "channels"));
    const patterns: RegExp[] = [];
    const predicates: ClusterPredicate[] = [];
    const matchers: readonly ClusterMatcher[] = subscription.match === undefined ? [] : Array.isArray(subscription.match) ? subscription.match : [subscription.match as ClusterMatcher];
    for (const matcher of matchers) {
      if (typeof matcher === "string") channels.add(checkChannel(matcher, "match"));
      else if (matcher instanceof RegExp) patterns.push(withoutState(matcher));
      else if (typeof matcher === "function") predicates.push(matcher);
      else throw new TypeError("cluster.on(): `match` takes strings, RegExps, predicates or an array of them");
    }
    if (channels.size === 0 && patterns.length === 0 && predicates.length === 0) {
      throw new TypeError("cluster.on(): give at least one of `channel`, `channels` or `match`");
    }
    const priority = subscription.priority ?? 0;
    if (typeof priority !== "number" || !Number.isFinite(priority)) throw new TypeError("cluster.on(): `priority` must be a finite number");
    const middleware = subscription.middleware ?? [];
    if (!Array.isArray(middleware)) throw new TypeError("cluster.on(): `middleware` must be an array");
    this.sequence++;
    const subscriber: Subscriber = {
      name: subscription.name ?? (channels.size > 0 && channels.size <= 3 ? [...channels].join(",") : `subscriber-${this.sequence}`),
      priority,
      sequence: this.sequence,
      channels,
      patterns,
      predicates,
      middleware: middleware as readonly ClusterMiddleware[],
      handler: handler as ClusterHandler,
      pending: 0,
    };
    this.subscribers = [...this.subscribers, subscriber].sort((a, b) => b.priority - a.priority || a.sequence - b.sequence);
    return subscriber;
  }

  remove(subscriber: Subscriber): void {
    this.subscribers = this.subscribers.filter((candidate) => candidate !== subscriber);
  }

  /**
   * Subscribers matching the event, highest priority first. A predicate that
   * throws counts as no match; `onPredicateError` reports it.
   */
  match(channel: string, payload: unknown, onPredicateError: (subscriber: Subscriber, error: unknown) => void): Subscriber[] {
    const matched: Subscriber[] = [];
    for (const subscriber of this.subscribers) {
      if (matches(subscriber, channel, payload, onPredicateError)) matched.push(subscriber);
    }
    return matched;
  }

  get size(): number {
    return this.subscribers.length;
  }
}

function matches(subscriber: Subscriber, channel: string, payload: unknown, onPredicateError: (subscriber: Subscriber, error: unknown) => void): boolean {
  if (subscriber.channels.has(channel)) return true;
  for (const pattern of subscriber.patterns) if (pattern.test(channel)) return true;
  for (const predicate of subscriber.predicates) {
    try {
      if (predicate(payload, channel)) return true;
    } catch (error) {
      onPredicateError(subscriber, error);
    }
  }
  return false;
}

function checkChannel(channel: unknown, option: string): string {
  if (typeof channel !== "string" || channel.length === 0) throw new TypeError(`cluster.on(): \`${option}\` must hold non-empty strings`);
  return channel;
}

/** A global or sticky RegExp keeps `lastIndex` between tests; a copy without those flags matches the same every time. */
function withoutState(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")) : pattern;
}

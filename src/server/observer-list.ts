import type { ErrorCode } from "../protocol/error-codes.js";
import type { RefusalReason, SwitchboardObserver } from "../protection/observer.js";

/**
 * The Switchboard's observer: forwards every hook to the observers added so
 * far, so that metrics can be attached after the Switchboard is built (the
 * server API does that). With no observer added each call is one empty loop.
 */
export class ObserverList implements Required<SwitchboardObserver> {
  private observers: SwitchboardObserver[] = [];

  constructor(initial?: SwitchboardObserver) {
    if (initial !== undefined) this.observers.push(initial);
  }

  /** False while no observer is added: a caller may then skip measuring what it would report. */
  get listening(): boolean {
    return this.observers.length > 0;
  }

  add(observer: SwitchboardObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((each) => each !== observer);
    };
  }

  connectionOpened(): void {
    for (const observer of this.observers) observer.connectionOpened?.();
  }
  connectionClosed(code: number): void {
    for (const observer of this.observers) observer.connectionClosed?.(code);
  }
  frameReceived(bytes: number): void {
    for (const observer of this.observers) observer.frameReceived?.(bytes);
  }
  frameSent(count: number, bytes: number): void {
    for (const observer of this.observers) observer.frameSent?.(count, bytes);
  }
  errorReplied(code: ErrorCode): void {
    for (const observer of this.observers) observer.errorReplied?.(code);
  }
  handlerFinished(type: string, durationMs: number): void {
    for (const observer of this.observers) observer.handlerFinished?.(type, durationMs);
  }
  broadcastPublished(): void {
    for (const observer of this.observers) observer.broadcastPublished?.();
  }
  delivered(latencyMs: number, recipients: number): void {
    for (const observer of this.observers) observer.delivered?.(latencyMs, recipients);
  }
  refused(reason: RefusalReason): void {
    for (const observer of this.observers) observer.refused?.(reason);
  }
  deliveryFailed(count: number): void {
    for (const observer of this.observers) observer.deliveryFailed?.(count);
  }
  brokerPublished(): void {
    for (const observer of this.observers) observer.brokerPublished?.();
  }
  brokerReceived(): void {
    for (const observer of this.observers) observer.brokerReceived?.();
  }
  brokerFailed(operation: string): void {
    for (const observer of this.observers) observer.brokerFailed?.(operation);
  }
  clusterSubscriberFailed(subscriber: string, reason: "threw" | "overloaded"): void {
    for (const observer of this.observers) observer.clusterSubscriberFailed?.(subscriber, reason);
  }
}

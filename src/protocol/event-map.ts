// One type for an application's custom traffic, declared once and given to both ends:
// `createSwitchboard<AppEvents>()` on the server, `connect<AppEvents>(url)` in the client.
// Types only: nothing here exists at run time, so the client SDK may import it.

/**
 * An application's event map.
 *
 * ```ts
 * interface AppEvents {
 *   // client → server: a handler's payload and its reply
 *   requests: { "lobby:create": { data: { name: string }; reply: { room: string } } };
 *   // server → client: custom events and their data
 *   events: { match_found: { matchId: string; players: string[] } };
 * }
 * ```
 *
 * A side left out stays untyped (any type name, `unknown` data).
 */
export interface EventMap {
  /** Frames a client sends to a handler: `type` → `{ data, reply }`. */
  requests?: object;
  /** Custom events the server pushes (`ctx.emit`, `sb.to(…).emit`): `type` → `data`. */
  events?: object;
}

/** Any event type, data unknown: what an untyped server or client accepts. */
export type DefaultEvents = Record<string, unknown>;

/** Any request type, payload and reply unknown. */
export type DefaultRequests = Record<string, { data: unknown; reply: unknown }>;

/** The map of a server or client that was given none. */
export interface DefaultEventMap {
  requests: DefaultRequests;
  events: DefaultEvents;
}

/** A request's payload and reply, as `requests` declares them. */
export interface RequestShape {
  data?: unknown;
  reply?: unknown;
}

export type RequestsOf<Map> = Map extends { requests: infer Requests extends object } ? Requests : DefaultRequests;
export type EventsOf<Map> = Map extends { events: infer Events extends object } ? Events : DefaultEvents;

/** Frame types the server itself sends (RESERVED_EVENT_TYPES): no custom event may use them. */
export type ReservedEventType = "welcome" | "reply" | "message" | "presence" | "error" | "pong";

/** The request types a map declares. */
export type RequestType<Requests> = keyof Requests & string;
/** The custom event types a map declares. */
export type EventType<Events> = Exclude<keyof Events & string, ReservedEventType>;

export type RequestData<Requests, Type extends keyof Requests> = Requests[Type] extends { data?: infer Data } ? Data : unknown;
export type RequestReply<Requests, Type extends keyof Requests> = Requests[Type] extends { reply?: infer Reply } ? Reply : unknown;
export type EventData<Events, Type extends keyof Events> = Events[Type];

/**
 * What a handler's schema must be for a request: one that accepts the `data` the map lets a
 * client send (its input takes the declared data; its output, what the handler gets, may be
 * transformed). Untyped requests (`unknown` data) take any schema.
 */
export type AcceptsData<Input, Data> = unknown extends Data ? unknown : [Data] extends [Input] ? unknown : { readonly "~accepts": Data };

/**
 * The arguments of an `emit`: for each declared event type, `[type, data]`. A union of tuples
 * rather than a generic `Type` parameter, so that a typed server or operator is still
 * assignable where an untyped one is expected (a plain `Switchboard`).
 */
export type EmitArgs<Events> = { [Type in EventType<Events>]: [type: Type, data: EventData<Events, Type>] }[EventType<Events>];

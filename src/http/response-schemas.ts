import { z } from "zod";
import { ERROR_CODES } from "../protocol/error-codes.js";

/**
 * What the server API answers, as zod schemas: the OpenAPI document's response
 * schemas are generated from them (src/http/openapi.ts), and
 * test/server-api/openapi.test.ts checks real answers against the document.
 * Objects are open (`looseObject`): a field added later does not break a client
 * generated today.
 */
const count = z.number().int().min(0);
const rate = z.number().min(0);
const millis = z.number().int().describe("Milliseconds since the epoch.");

export const errorResponse = z.looseObject({
  error: z.looseObject({
    code: z.enum(Object.keys(ERROR_CODES) as [string, ...string[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const publishResponse = z.looseObject({
  offset: z.number().int().nullable().describe("The message's offset in the room's history; null when the room keeps none."),
  epoch: z.string().nullable(),
});

export const okResponse = z.looseObject({ ok: z.literal(true) });

export const roomsResponse = z.looseObject({
  rooms: z.array(z.looseObject({ room: z.string(), connections: count })).describe("Busiest first, summed over nodes."),
});

const meta = z.record(z.string(), z.unknown()).optional();

export const presenceResponse = z.union([
  z.looseObject({
    room: z.string(),
    members: z.array(z.looseObject({ userId: z.string().nullable(), connections: count, meta })).describe("Every member, grouped by user (without limit or cursor)."),
  }),
  z.looseObject({
    room: z.string(),
    count: count.describe("Connections in the room."),
    entries: z.array(z.looseObject({ connectionId: z.string(), userId: z.string().nullable(), meta })).describe("One page of connections (with limit or cursor)."),
    cursor: z.string().nullable().describe("For the next page; null on the last."),
  }),
]);

export const historyResponse = z.looseObject({
  room: z.string(),
  messages: z.array(z.looseObject({ type: z.literal("message") })).describe("Message frames, as the `history` command answers them."),
  offset: count.describe("The room's latest offset."),
  epoch: z.string(),
  complete: z.boolean().describe("Whether every message after the requested position is there."),
});

const nodeStats = z.looseObject({
  node: z.string(),
  connections: count,
  users: count,
  rooms: count,
  framesIn: count,
  framesOut: count,
  bytesIn: count,
  bytesOut: count,
  framesInPerSecond: rate,
  framesOutPerSecond: rate,
  bytesInPerSecond: rate,
  bytesOutPerSecond: rate,
  startedAt: millis,
  reportedAt: millis,
});

export const statsResponse = z.looseObject({
  node: z.string(),
  nodes: z.array(nodeStats),
  totals: z.looseObject({ connections: count, users: count, rooms: count, framesInPerSecond: rate, framesOutPerSecond: rate }),
  latencyMs: z.looseObject({ p50: rate, p90: rate, p99: rate, max: rate, count }),
  disconnectsByCode: z.record(z.string(), count),
  refusals: z.record(z.string(), count),
  series: z.array(z.looseObject({ t: millis, framesInPerSecond: rate, framesOutPerSecond: rate, connections: count })),
});

export const healthResponse = z.looseObject({
  status: z.enum(["ok", "degraded", "down"]),
  node: z.string(),
  checks: z.record(z.string(), z.looseObject({ ok: z.boolean(), required: z.boolean(), detail: z.string().optional() })),
});

export const liveResponse = z.looseObject({ status: z.literal("ok"), node: z.string() });

export const openApiResponse = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) });

import { z } from "zod";
import { broadcastBody, disconnectBody, publishBody } from "./request-bodies.js";
import { errorResponse, healthResponse, historyResponse, liveResponse, okResponse, openApiResponse, presenceResponse, publishResponse, roomsResponse, statsResponse } from "./response-schemas.js";

type JsonObject = Record<string, unknown>;

/**
 * Request and response schemas come from the zod schemas the routes validate with and answer
 * in (request-bodies.ts, response-schemas.ts), so the document cannot drift from them.
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  return rest;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const errorAnswer = (description: string): JsonObject => ({ description, content: { "application/json": { schema: ERROR_REF } } });
const json = (description: string, schema: z.ZodType): JsonObject => ({ description, content: { "application/json": { schema: jsonSchema(schema, "output") } } });
const body = (schema: z.ZodType): JsonObject => ({ required: true, content: { "application/json": { schema: jsonSchema(schema, "input") } } });
const roomParameter = { name: "room", in: "path", required: true, description: "The room name, URL-encoded.", schema: { type: "string" } };
const authErrors = { "401": errorAnswer("No API key configured, or a missing or wrong key."), "429": errorAnswer("Over the API rate limit.") };
/** Node's HTTP server answers this itself, before any route, for every path: the one client error an open route has. */
const headersTooLarge = { "431": { description: "Request headers over the server's limit (answered by Node's HTTP server, without a body)." } };
const KEY = [{ apiKey: [] }];
/** An empty list: no key needed (OpenAPI's way to say a route is open). */
const OPEN: unknown[] = [];

export interface OpenApiOptions {
  /** Whether /health needs no key. Default true. */
  healthPublic?: boolean;
  /** Whether /metrics needs no key. Default true. */
  metricsPublic?: boolean;
}

/** The OpenAPI 3.1 document served at /api/openapi.json. */
export function openApiDocument(options: OpenApiOptions = {}): JsonObject {
  const healthPublic = options.healthPublic ?? true;
  const metricsPublic = options.metricsPublic ?? true;
  const guardedErrors = (isPublic: boolean, what: string): JsonObject => (isPublic ? headersTooLarge : { "401": errorAnswer(`${what} is not public here and no valid key was sent.`) });
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchboard server API",
      version: "1",
      description: "Push events into Switchboard from any backend, and read its state. See docs/server-api.md.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "The server that serves this document." }],
    tags: [
      { name: "events", description: "Publish, broadcast and disconnect, on every node." },
      { name: "state", description: "Rooms, presence, history and figures, across nodes." },
      { name: "operations", description: "Health, metrics and this document, for orchestrators and tools." },
    ],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "One of SWITCHBOARD_API_KEY." } },
      schemas: { Error: jsonSchema(errorResponse, "output") },
    },
    paths: {
      "/api/publish": {
        post: {
          operationId: "publish",
          tags: ["events"],
          security: KEY,
          summary: "Publish to a room, as a client publish would (history, offset).",
          requestBody: body(publishBody),
          responses: { "200": json("Published.", publishResponse), "400": errorAnswer("Invalid body."), ...authErrors, "413": errorAnswer("Body too large."), "503": errorAnswer("Broker unavailable.") },
        },
      },
      "/api/broadcast": {
        post: {
          operationId: "broadcast",
          tags: ["events"],
          security: KEY,
          summary: "Send a custom event to the union of rooms, users and connections, or to everyone.",
          requestBody: body(broadcastBody),
          responses: { "200": json("Sent.", okResponse), "400": errorAnswer("Invalid body."), ...authErrors, "413": errorAnswer("Body too large."), "503": errorAnswer("Broker unavailable.") },
        },
      },
      "/api/disconnect": {
        post: {
          operationId: "disconnect",
          tags: ["events"],
          security: KEY,
          summary: "Close a user's or a connection's sockets on every node (4009 unless a code is given).",
          requestBody: body(disconnectBody),
          responses: { "200": json("Requested.", okResponse), "400": errorAnswer("Invalid body."), ...authErrors, "503": errorAnswer("Broker unavailable.") },
        },
      },
      "/api/rooms": {
        get: { operationId: "listRooms", tags: ["state"], security: KEY, summary: "Rooms with members, busiest first, across nodes.", responses: { "200": json("Rooms.", roomsResponse), ...authErrors } },
      },
      "/api/rooms/{room}/presence": {
        get: {
          operationId: "getRoomPresence",
          tags: ["state"],
          security: KEY,
          summary: "Who is in a room, across nodes: every member grouped by user, or with limit/cursor one page of connections {count, entries, cursor}.",
          parameters: [
            roomParameter,
            { name: "limit", in: "query", description: "Page size; asks for a page.", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
            { name: "cursor", in: "query", description: "The cursor of the previous page.", schema: { type: "string" } },
          ],
          responses: { "200": json("Members, or a page.", presenceResponse), "400": errorAnswer("Invalid query."), ...authErrors, "503": errorAnswer("Presence store unavailable.") },
        },
      },
      "/api/rooms/{room}/history": {
        get: {
          operationId: "getRoomHistory",
          tags: ["state"],
          security: KEY,
          summary: "A room's recent messages.",
          parameters: [
            roomParameter,
            { name: "limit", in: "query", description: "How many messages, newest last.", schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 } },
            { name: "offset", in: "query", description: "With epoch: only messages after this offset.", schema: { type: "integer", minimum: 0 } },
            { name: "epoch", in: "query", description: "The epoch the offset belongs to.", schema: { type: "string" } },
          ],
          responses: { "200": json("Messages.", historyResponse), "400": errorAnswer("Invalid room name or query."), ...authErrors, "503": errorAnswer("History store unavailable.") },
        },
      },
      "/api/stats": { get: { operationId: "getStats", tags: ["state"], security: KEY, summary: "Figures per node and totals.", responses: { "200": json("Stats.", statsResponse), ...authErrors } } },
      "/api/stats/stream": {
        get: {
          operationId: "streamStats",
          tags: ["state"],
          security: KEY,
          summary: "The stats once a second as Server-Sent Events (event: stats, data: the /api/stats JSON).",
          responses: { "200": { description: "An event stream.", content: { "text/event-stream": { schema: { type: "string" } } } }, ...authErrors },
        },
      },
      "/api/openapi.json": {
        get: { operationId: "getOpenApiDocument", tags: ["operations"], security: OPEN, summary: "This document (no key needed).", responses: { "200": json("OpenAPI 3.1.", openApiResponse), ...headersTooLarge } },
      },
      "/health": {
        get: {
          operationId: "getHealth",
          tags: ["operations"],
          security: healthPublic ? OPEN : KEY,
          summary: "Readiness with the status of each dependency.",
          responses: { "200": json("Ready (ok or degraded).", healthResponse), ...guardedErrors(healthPublic, "/health"), "503": json("A required dependency is down.", healthResponse) },
        },
      },
      "/health/live": {
        get: { operationId: "getLiveness", tags: ["operations"], security: OPEN, summary: "Liveness: the process serves requests.", responses: { "200": json("Alive.", liveResponse), ...headersTooLarge } },
      },
      "/metrics": {
        get: {
          operationId: "getMetrics",
          tags: ["operations"],
          security: metricsPublic ? OPEN : KEY,
          summary: "Prometheus metrics (text exposition format).",
          responses: { "200": { description: "Prometheus text format.", content: { "text/plain": { schema: { type: "string" } } } }, ...guardedErrors(metricsPublic, "/metrics") },
        },
      },
    },
  };
}

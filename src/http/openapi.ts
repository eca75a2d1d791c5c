import { z } from "zod";
import { ERROR_CODES } from "../protocol/error-codes.js";
import { broadcastBody, disconnectBody, publishBody } from "./request-bodies.js";

type JsonObject = Record<string, unknown>;

/** The request schemas come from the same zod schemas the routes validate with, so the document cannot drift from them. */
function bodySchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonObject;
  return rest;
}

const errorResponse = (description: string): JsonObject => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
const json = (description: string, schema: JsonObject = { type: "object" }): JsonObject => ({ description, content: { "application/json": { schema } } });
const roomParameter = { name: "room", in: "path", required: true, description: "The room name, URL-encoded.", schema: { type: "string" } };
const authErrors = { "401": errorResponse("No API key configured, or a missing or wrong key."), "429": errorResponse("Over the API rate limit.") };

/** The OpenAPI 3.1 document served at /api/openapi.json. */
export function openApiDocument(): JsonObject {
  const secured = { security: [{ apiKey: [] }] };
  return {
    openapi: "3.1.0",
    info: { title: "Switchboard server API", version: "1", description: "Push events into Switchboard from any backend, and read its state. See docs/server-api.md." },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "One of SWITCHBOARD_API_KEY." } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { enum: Object.keys(ERROR_CODES) }, message: { type: "string" }, details: {} } } },
        },
      },
    },
    paths: {
      "/api/publish": {
        post: {
          ...secured,
          summary: "Publish to a room, as a client publish would (history, offset).",
          requestBody: { required: true, content: { "application/json": { schema: bodySchema(publishBody) } } },
          responses: { "200": json("Published.", { type: "object", properties: { offset: { type: ["integer", "null"] }, epoch: { type: ["string", "null"] } } }), "400": errorResponse("Invalid body."), ...authErrors, "413": errorResponse("Body too large."), "503": errorResponse("Broker unavailable.") },
        },
      },
      "/api/broadcast": {
        post: {
          ...secured,
          summary: "Send a custom event to the union of rooms, users and connections, or to everyone.",
          requestBody: { required: true, content: { "application/json": { schema: bodySchema(broadcastBody) } } },
          responses: { "200": json("Sent.", { type: "object", properties: { ok: { const: true } } }), "400": errorResponse("Invalid body."), ...authErrors, "413": errorResponse("Body too large."), "503": errorResponse("Broker unavailable.") },
        },
      },
      "/api/disconnect": {
        post: {
          ...secured,
          summary: "Close a user's or a connection's sockets on every node (4009 unless a code is given).",
          requestBody: { required: true, content: { "application/json": { schema: bodySchema(disconnectBody) } } },
          responses: { "200": json("Requested.", { type: "object", properties: { ok: { const: true } } }), "400": errorResponse("Invalid body."), ...authErrors, "503": errorResponse("Broker unavailable.") },
        },
      },
      "/api/rooms": { get: { ...secured, summary: "Rooms with members, busiest first, across nodes.", responses: { "200": json("Rooms."), ...authErrors } } },
      "/api/rooms/{room}/presence": {
        get: {
          ...secured,
          summary: "Who is in a room, across nodes: every member grouped by user, or with limit/cursor one page of connections {count, entries, cursor}.",
          parameters: [
            roomParameter,
            { name: "limit", in: "query", description: "Page size; asks for a page.", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
            { name: "cursor", in: "query", description: "The cursor of the previous page.", schema: { type: "string" } },
          ],
          responses: { "200": json("Members, or a page."), "400": errorResponse("Invalid query."), ...authErrors, "503": errorResponse("Presence store unavailable.") },
        },
      },
      "/api/rooms/{room}/history": {
        get: {
          ...secured,
          summary: "A room's recent messages.",
          parameters: [
            roomParameter,
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 } },
            { name: "offset", in: "query", description: "With epoch: only messages after this offset.", schema: { type: "integer", minimum: 0 } },
            { name: "epoch", in: "query", schema: { type: "string" } },
          ],
          responses: { "200": json("Messages."), "400": errorResponse("Invalid query."), ...authErrors, "503": errorResponse("History store unavailable.") },
        },
      },
      "/api/stats": { get: { ...secured, summary: "Figures per node and totals.", responses: { "200": json("Stats."), ...authErrors } } },
      "/api/stats/stream": { get: { ...secured, summary: "The stats once a second as Server-Sent Events (event: stats).", responses: { "200": { description: "An event stream.", content: { "text/event-stream": {} } }, ...authErrors } } },
      "/api/openapi.json": { get: { summary: "This document (no key needed).", responses: { "200": json("OpenAPI 3.1.") } } },
      "/health": { get: { summary: "Readiness with the status of each dependency.", responses: { "200": json("Ready (ok or degraded)."), "401": errorResponse("Not public and no valid key."), "503": json("A required dependency is down.") } } },
      "/health/live": { get: { summary: "Liveness.", responses: { "200": json("Alive.") } } },
      "/metrics": { get: { summary: "Prometheus metrics.", responses: { "200": { description: "Prometheus text format.", content: { "text/plain": {} } }, "401": errorResponse("Not public and no valid key.") } } },
    },
  };
}

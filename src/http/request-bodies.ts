import { z } from "zod";
import { SwitchboardError } from "../protocol/error-codes.js";

/** The server API's request bodies; a body that fails gets `bad_request` naming the field. */
const room = z.string().min(1).max(256);
const eventType = z.string().min(1).max(128);
const ids = z.array(z.string().min(1).max(256)).max(10_000);

export const publishBody = z.object({ room, data: z.unknown(), type: eventType.optional() }).strict().refine((body) => body.data !== undefined, { path: ["data"], message: "is required" });

export const broadcastBody = z
  .object({ rooms: z.array(room).max(10_000).optional(), userIds: ids.optional(), connectionIds: ids.optional(), all: z.boolean().optional(), type: eventType, data: z.unknown() })
  .strict()
  .refine((body) => body.data !== undefined, { path: ["data"], message: "is required" })
  .refine((body) => body.all === true || (body.rooms?.length ?? 0) + (body.userIds?.length ?? 0) + (body.connectionIds?.length ?? 0) > 0, {
    path: ["rooms"],
    message: "name at least one target: rooms, userIds, connectionIds or all: true",
  });

export const disconnectBody = z
  .object({
    userId: z.string().min(1).max(256).optional(),
    connectionId: z.string().min(1).max(256).optional(),
    // 1000 or an application code; other 1xxx codes are reserved by the WebSocket protocol for the server itself.
    code: z.union([z.literal(1000), z.number().int().min(3000).max(4999)]).optional(),
    reason: z.string().max(120).optional(),
  })
  .strict()
  .refine((body) => body.userId !== undefined || body.connectionId !== undefined, { path: ["userId"], message: "userId or connectionId is required" });

export const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    offset: z.coerce.number().int().min(0).optional(),
    epoch: z.string().min(1).optional(),
  })
  .refine((query) => (query.offset === undefined) === (query.epoch === undefined), { path: ["offset"], message: "offset and epoch go together" });

/** Parses with a schema; a failure becomes `bad_request` with a message naming the first bad field. */
export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  const first = issues[0]!;
  throw new SwitchboardError("bad_request", `Invalid ${what}: ${first.path === "" ? "" : `"${first.path}" `}${first.message}.`, issues);
}

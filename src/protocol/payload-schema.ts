import type { StandardSchemaV1 } from "@standard-schema/spec";
import { SwitchboardError } from "./error-codes.js";

/** Validates a payload with its handler's Standard Schema; failures become `invalid_payload` with the issues as details. */
export async function validatePayload(schema: StandardSchemaV1 | undefined, data: unknown): Promise<unknown> {
  if (schema === undefined) return data;
  let result = schema["~standard"].validate(data);
  if (result instanceof Promise) result = await result;
  if (result.issues !== undefined) {
    const details = result.issues.map((issue) => ({
      message: issue.message,
      path: issue.path?.map((segment) => (typeof segment === "object" ? segment.key : segment)) ?? [],
    }));
    throw new SwitchboardError("invalid_payload", "The payload does not match the handler's schema.", details);
  }
  return result.value;
}

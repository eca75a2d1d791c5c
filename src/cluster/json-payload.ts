import { SwitchboardError } from "../protocol/error-codes.js";
import type { JsonValue } from "./types.js";

const MAX_DEPTH = 64;

/**
 * Checks that `value` survives JSON unchanged and returns a deep copy of it.
 * A cluster event crosses nodes as JSON, so a Date, Map, class instance,
 * undefined, NaN or cycle would arrive changed or not at all; refusing it at
 * emit makes every broker (in-memory included) deliver the same thing.
 */
export function toJsonPayload(value: unknown): JsonValue {
  return copy(value, "payload", 0, new Set());
}

function copy(value: unknown, path: string, depth: number, seen: Set<object>): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    throw invalid(path, `is ${String(value)}, which JSON cannot carry`);
  }
  if (value === undefined) throw invalid(path, "is undefined, which JSON cannot carry (in an array it would arrive as null)");
  if (typeof value !== "object") throw invalid(path, `is a ${typeof value}, which JSON cannot carry`);
  if (depth >= MAX_DEPTH) throw invalid(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (seen.has(value)) throw invalid(path, "is a circular reference");
  seen.add(value);
  try {
    // Array.from visits holes too (as undefined), which JSON would turn into null: refused like undefined.
    if (Array.isArray(value)) return Array.from(value, (item: unknown, index) => copy(item, `${path}[${index}]`, depth + 1, seen));
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw invalid(path, `is a ${name}; only plain objects, arrays, strings, finite numbers, booleans and null cross nodes`);
    }
    const result: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue; // JSON drops undefined properties; so do we, silently, as JSON.stringify does.
      result[key] = copy(item, `${path}.${key}`, depth + 1, seen);
    }
    return result;
  } finally {
    seen.delete(value);
  }
}

function invalid(path: string, problem: string): SwitchboardError {
  return new SwitchboardError("bad_request", `Cluster event ${path} ${problem}.`);
}

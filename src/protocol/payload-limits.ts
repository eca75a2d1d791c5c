import { SwitchboardError } from "./error-codes.js";

/**
 * What every encoding can carry, checked once where a publication, broadcast
 * or presence meta enters the server (a client frame, the server API, a
 * library call), so that nothing acknowledged can fail later while it is
 * encoded for some recipient.
 *
 * Depth: MessagePack encoders refuse data nested deeper than 100 levels
 * (@msgpack/msgpack's default), and JSON.stringify overflows the stack near
 * a few thousand. 32 levels of `data` leave room for the frame around it (a
 * history reply nests a message 4 levels down) on every encoding.
 */
export const MAX_DATA_DEPTH = 32;

/**
 * Largest `data` of a publication or broadcast, as JSON bytes: the server
 * API's default body limit, so a request the API accepts is one it can send.
 * Client frames are bounded sooner by `maxPayload` (64 KiB by default).
 */
export const MAX_DATA_BYTES = 1_048_576;

/**
 * Refuses a value that some encoding could not carry: nested deeper than
 * MAX_DATA_DEPTH (a cycle counts as too deep), or holding a BigInt (JSON has
 * none). Walks with an explicit stack, depth first, so 32,000 levels of
 * nesting cost one short walk and no stack overflow, and a cycle is found at
 * the depth limit. Stops after MAX_DATA_BYTES values: each costs at least a
 * byte of JSON, so more could not pass the size check anyway.
 */
export function assertCarriable(value: unknown, field: string): void {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") throw notCarriable(field, "a BigInt, which JSON cannot carry");
    return;
  }
  if (value instanceof Date) return;
  // The top level is checked here as the walk would check it, without the walk's two stacks: most
  // data is one object or array of plain values, and every publication passes here.
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  let values: unknown[] | undefined;
  let depths: number[] | undefined;
  for (const child of children) {
    if (child !== null && typeof child === "object") {
      (values ??= []).push(child);
      (depths ??= []).push(2);
    } else if (typeof child === "bigint") throw notCarriable(field, "a BigInt, which JSON cannot carry");
  }
  if (values !== undefined) walk(values, depths!, field);
}

/** The rest of assertCarriable's walk, depth first, from the top level's nested children (the top level counted as visited). */
function walk(values: unknown[], depths: number[], field: string): void {
  let visited = 1;
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (++visited > MAX_DATA_BYTES) throw new SwitchboardError("too_large", `"${field}" is larger than ${MAX_DATA_BYTES} bytes of JSON, the limit for every encoding.`);
    if (current === null || typeof current !== "object") {
      if (typeof current === "bigint") throw notCarriable(field, "a BigInt, which JSON cannot carry");
      continue;
    }
    if (current instanceof Date) continue;
    if (depth > MAX_DATA_DEPTH) throw notCarriable(field, `nested deeper than ${MAX_DATA_DEPTH} levels, the limit for every encoding`);
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === "object") {
        values.push(child);
        depths.push(depth + 1);
      } else if (typeof child === "bigint") throw notCarriable(field, "a BigInt, which JSON cannot carry");
    }
  }
}

/** Refuses serialized data (a frame's JSON) over MAX_DATA_BYTES; checked after the one stringify a publication costs. */
export function assertDataSize(json: string, field: string): void {
  // A JSON string's UTF-8 size is at most 3 bytes per UTF-16 unit: count bytes only when it could matter.
  if (json.length * 3 <= MAX_DATA_BYTES) return;
  if (Buffer.byteLength(json) > MAX_DATA_BYTES) throw new SwitchboardError("too_large", `"${field}" is larger than ${MAX_DATA_BYTES} bytes of JSON, the limit for every encoding.`);
}

function notCarriable(field: string, why: string): SwitchboardError {
  return new SwitchboardError("bad_request", `"${field}" is ${why}.`);
}

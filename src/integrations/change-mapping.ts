import { renderTemplate, rowFields } from "./change-template.js";

/**
 * The table → room/event mapping shared by every change-feed mode (NOTIFY,
 * outbox, logical replication): which changes a mapping takes (table,
 * operations, row filter) and which room and event name a change gets.
 */
export type ChangeOp = "insert" | "update" | "delete";

export type Row = Record<string, unknown>;

/** One row change as every mode delivers it: `new` is null for deletes, `old` null for inserts. */
export interface RowChange {
  op: ChangeOp;
  schema: string;
  table: string;
  new: Row | null;
  old: Row | null;
}

export type FilterValue = string | number | boolean | null;

/**
 * A row filter: every named column (read from `new`, else `old`) must equal the
 * value, or one of the values of an array. Values compare as text, so `1` and
 * `"1"` match alike (numeric columns arrive as numbers from the outbox and as
 * text from logical replication).
 */
export type RowFilter = Record<string, FilterValue | FilterValue[]>;

export interface TableMapping {
  /** The table: `name` (any schema) or `schema.name`. */
  table: string;
  /** Room template, e.g. `market:{market_id}`. */
  room: string;
  /** Event type: fixed or a template. Default `{table}.{op}`. */
  event?: string;
  /** "publish" (default, kept in history, exactly once) or "event" (a custom frame, no history). */
  deliver?: "publish" | "event";
  /** Operations this mapping takes. Default all three. */
  ops?: ChangeOp[];
  /** Only rows matching this filter. */
  filter?: RowFilter;
}

/** Where one change goes under one mapping. */
export interface ChangeRoute {
  mapping: TableMapping;
  room: string;
  event: string;
  deliver: "publish" | "event";
}

export interface RoutedChange {
  routes: ChangeRoute[];
  /** Mappings that took the change but whose templates named a missing field. */
  unmapped: TableMapping[];
}

const OPS: readonly ChangeOp[] = ["insert", "update", "delete"];

/** Throws a TypeError naming the setting; used by every feed's constructor. */
export function validateTableMappings(owner: string, mappings: TableMapping[]): void {
  if (!Array.isArray(mappings) || mappings.length === 0) throw new TypeError(`${owner}: "mappings" needs at least one { table, room }`);
  for (const mapping of mappings) {
    if (typeof mapping.table !== "string" || !/^[^.]+(\.[^.]+)?$/.test(mapping.table)) throw new TypeError(`${owner}: every mapping needs a "table" (name or schema.name)`);
    if (typeof mapping.room !== "string" || mapping.room.length === 0) throw new TypeError(`${owner}: mapping for table "${mapping.table}" needs a room template`);
    if (mapping.deliver !== undefined && mapping.deliver !== "publish" && mapping.deliver !== "event") throw new TypeError(`${owner}: "deliver" must be "publish" or "event"`);
    if (mapping.ops !== undefined && (!Array.isArray(mapping.ops) || mapping.ops.some((op) => !OPS.includes(op)))) throw new TypeError(`${owner}: "ops" must list insert, update and/or delete`);
    validateFilter(owner, mapping.filter);
  }
}

export function validateFilter(owner: string, filter: RowFilter | undefined): void {
  if (filter === undefined) return;
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) throw new TypeError(`${owner}: "filter" must be an object of column → value(s)`);
  const scalar = (value: unknown): boolean => value === null || ["string", "number", "boolean"].includes(typeof value);
  for (const [column, value] of Object.entries(filter)) {
    if (!(Array.isArray(value) ? value.every(scalar) : scalar(value))) throw new TypeError(`${owner}: filter on "${column}" must be a value or an array of values`);
  }
}

const asText = (value: unknown): string | null => (value === null || value === undefined ? null : typeof value === "object" ? JSON.stringify(value) : String(value));

/** Whether the changed row (`new`, else `old`) passes the filter. */
export function matchesFilter(filter: RowFilter | undefined, payload: Record<string, unknown>): boolean {
  if (filter === undefined) return true;
  const fields = rowFields(payload);
  for (const [column, expected] of Object.entries(filter)) {
    const actual = asText(fields(column));
    const allowed = Array.isArray(expected) ? expected : [expected];
    if (!allowed.some((value) => asText(value) === actual)) return false;
  }
  return true;
}

/** The room and event of a change under one mapping, or undefined when a template names a missing field. */
export function renderRoute(mapping: { room: string; event?: string | undefined }, payload: Record<string, unknown>): { room: string; event: string } | undefined {
  const fields = rowFields(payload);
  const room = renderTemplate(mapping.room, fields);
  const event = renderTemplate(mapping.event ?? "{table}.{op}", fields);
  return room === undefined || event === undefined ? undefined : { room, event };
}

/** Routes row changes of the outbox and logical-replication modes to their rooms. */
export class ChangeRouter {
  constructor(readonly mappings: TableMapping[]) {}

  route(change: RowChange): RoutedChange {
    const routed: RoutedChange = { routes: [], unmapped: [] };
    const payload = change as unknown as Record<string, unknown>;
    for (const mapping of this.mappings) {
      if (!tableMatches(mapping.table, change.schema, change.table)) continue;
      if (mapping.ops !== undefined && !mapping.ops.includes(change.op)) continue;
      if (!matchesFilter(mapping.filter, payload)) continue;
      const target = renderRoute(mapping, payload);
      if (target === undefined) routed.unmapped.push(mapping);
      else routed.routes.push({ mapping, ...target, deliver: mapping.deliver ?? "publish" });
    }
    return routed;
  }

  /** The distinct tables the mappings name, as written (for CREATE PUBLICATION and trigger setup). */
  tables(): string[] {
    return [...new Set(this.mappings.map((mapping) => mapping.table))];
  }
}

export function tableMatches(pattern: string, schema: string, table: string): boolean {
  const dot = pattern.indexOf(".");
  return dot === -1 ? pattern === table : pattern.slice(0, dot) === schema && pattern.slice(dot + 1) === table;
}

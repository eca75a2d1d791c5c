/**
 * Room and event templates of the change feed: `{name}` is replaced by a field
 * of the changed row ("new", else "old"), falling back to the payload's top
 * level (`op`, `table`, `schema`, or any field of a custom NOTIFY payload).
 */
export type TemplateFields = (name: string) => unknown;

export function rowFields(payload: Record<string, unknown>): TemplateFields {
  const row = [payload.new, payload.old].find((candidate) => typeof candidate === "object" && candidate !== null) as Record<string, unknown> | undefined;
  return (name) => (row !== undefined && Object.hasOwn(row, name) ? row[name] : Object.hasOwn(payload, name) ? payload[name] : undefined);
}

/** Undefined when a field is missing or not a scalar, so the change is not sent to a wrong room. */
export function renderTemplate(template: string, fields: TemplateFields): string | undefined {
  let missing = false;
  const rendered = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = fields(name);
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
    missing = true;
    return "";
  });
  return missing ? undefined : rendered;
}

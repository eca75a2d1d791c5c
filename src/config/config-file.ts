import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";

/**
 * Reads a config file: JSON for `.json`, YAML otherwise (`.yaml`, `.yml`; YAML
 * also reads JSON). A top-level `$schema` key, which editors use to find the
 * published JSON Schema, is not a setting and is dropped.
 */
export function readConfigFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, "utf8");
  const value: unknown = extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new Error("the file must hold an object of settings");
  const { $schema: _schema, ...settings } = value as Record<string, unknown>;
  return settings;
}

import { z } from "zod";
import { ENVIRONMENT_VARIABLES, serverConfigSchema } from "./server-config.js";

type JsonObject = Record<string, unknown>;

/** Formats of JSON Schema 2020-12 that editors and validators know; zod also emits some of its own (`starts_with`). */
const STANDARD_FORMATS = new Set(["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "regex"]);

/**
 * The JSON Schema of the standalone server's config file, generated from the
 * validator the server runs at startup (as the OpenAPI document is generated from
 * the request schemas), so the published schema cannot drift from what the server
 * accepts. The checks that need code (the JWT key rules, a room rule's {param})
 * stay in the validator; the schema says what an editor can check.
 * Published as schema/config.schema.json (npm run schema writes it).
 */
export function configJsonSchema(): JsonObject {
  const generated = z.toJSONSchema(serverConfigSchema, {
    io: "input",
    unrepresentable: "any",
    override: ({ jsonSchema }) => {
      const schema = jsonSchema as JsonObject;
      if (typeof schema.format === "string" && !STANDARD_FORMATS.has(schema.format)) delete schema.format;
    },
  }) as JsonObject;
  const { $schema, properties, ...rest } = generated;
  return {
    $schema,
    title: "Switchboard server configuration",
    description: "The config file of `switchboard start` (JSON or YAML). Environment variables override it; see docs/config-file.md and docs/server.md.",
    ...rest,
    properties: { $schema: { type: "string", description: "The JSON Schema this file follows, for editors; ignored by the server." }, ...withVariables(properties as Record<string, JsonObject>) },
  };
}

/** Each setting's description names the environment variable that overrides it, as docs/server.md does. */
function withVariables(properties: Record<string, JsonObject>): Record<string, JsonObject> {
  return Object.fromEntries(
    Object.entries(properties).map(([key, schema]) => {
      const names = ENVIRONMENT_VARIABLES[key as keyof typeof ENVIRONMENT_VARIABLES];
      if (names === undefined) return [key, schema];
      const variable = names.length === 1 ? `Environment variable: ${names[0]}.` : `Environment variables: ${names.join(" or ")} (the last one wins).`;
      const description = typeof schema.description === "string" ? `${schema.description} ${variable}` : variable;
      return [key, { ...schema, description }];
    }),
  );
}

/** The file's text: two-space JSON with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

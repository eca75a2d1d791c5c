// Writes schema/config.schema.json from the config validator (test/config/config-file.test.ts checks it is current).
import { writeFileSync } from "node:fs";
import { configJsonSchemaText } from "../src/config/config-json-schema.js";

writeFileSync(new URL("../schema/config.schema.json", import.meta.url), configJsonSchemaText());
console.log("wrote schema/config.schema.json");

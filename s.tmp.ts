import { createConfig, lintFromString } from "@redocly/openapi-core";
import { openApiDocument } from "./src/http/openapi.ts";
const t0 = Date.now();
const config = await createConfig({ extends: ["recommended"] });
const problems = await lintFromString({ source: JSON.stringify(openApiDocument()), absoluteRef: "openapi.json", config });
for (const p of problems) console.log(p.severity, p.ruleId, p.message, JSON.stringify(p.location?.[0]?.pointer));
console.log(problems.length, Date.now() - t0, "ms");

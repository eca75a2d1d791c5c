import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Ajv2020 } from "ajv/dist/2020.js";
import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";
import { connect } from "../support/client.js";

interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: { "application/json": { schema: { required?: string[]; additionalProperties?: boolean; properties: Record<string, unknown> } } } };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** A body that satisfies each endpoint, from which the test removes or adds fields. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  "/api/publish": { room: "openapi:room", data: { n: 1 }, type: "tick" },
  "/api/broadcast": { rooms: ["openapi:room"], type: "tick", data: { n: 1 } },
  "/api/disconnect": { connectionId: "no-such-connection" },
};

const operations = (document: OpenApi): Array<[string, string, Operation]> => Object.entries(document.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, operation]) => [path, method, operation] as [string, string, Operation]));
const fetchDocument = async (server: ApiServer): Promise<OpenApi> => {
  const response = await server.call("GET", "/api/openapi.json", undefined, null);
  assert.equal(response.status, 200, "served without a key");
  return response.body as unknown as OpenApi;
};

/** Calls every documented route without a key: the server must agree with each route's `security`. */
async function assertSecurityMatches(server: ApiServer, document: OpenApi): Promise<void> {
  for (const [path, method, operation] of operations(document)) {
    assert.ok(Array.isArray(operation.security), `${method} ${path} says whether it needs the key`);
    const url = path.replace("{room}", "openapi%3Aroom");
    const anonymous = await server.call(method.toUpperCase(), url, method === "post" ? VALID_BODIES[path] : undefined, null);
    if (operation.security.length > 0) assert.equal(anonymous.status, 401, `${method} ${path} without a key`);
    else assert.notEqual(anonymous.status, 401, `${method} ${path} is documented as open`);
  }
}

describe("/api/openapi.json", () => {
  let server: ApiServer;
  let document: OpenApi;
  before(async () => {
    server = await startApiServer();
    document = await fetchDocument(server);
  });
  after(() => server.close());

  it("lists exactly the routes the server registers, each with an operationId, a security entry and a response schema", () => {
    assert.equal(document.openapi, "3.1.0");
    const documented = operations(document).map(([path, method]) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`);
    assert.deepEqual(documented.sort(), server.running.api.routes().sort());
    const ids = new Set<string>();
    for (const [path, method, operation] of operations(document)) {
      assert.match(operation.operationId ?? "", /^[a-z][A-Za-z]+$/, `${method} ${path} has an operationId`);
      ids.add(operation.operationId!);
      const success = Object.values(operation.responses["200"]?.content ?? {});
      assert.ok(success.length > 0 && success.every((media) => media.schema !== undefined), `${method} ${path} documents the schema of its answer`);
    }
    assert.equal(ids.size, operations(document).length, "operationIds are unique");
  });

  it("is clean under Redocly's recommended OpenAPI rules", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: "openapi.json", config });
    assert.deepEqual(problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? "?"}`), []);
  });

  it("marks every /api route but itself as needing the key, and the server agrees", async () => {
    await assertSecurityMatches(server, document);
  });

  it("marks /health and /metrics as needing the key when they are not public, and the server agrees", async () => {
    const guarded = await startApiServer({ SWITCHBOARD_HEALTH_PUBLIC: "false", SWITCHBOARD_METRICS_PUBLIC: "false" });
    try {
      const guardedDocument = await fetchDocument(guarded);
      assert.deepEqual(guardedDocument.paths["/health"]!.get!.security, [{ apiKey: [] }]);
      await assertSecurityMatches(guarded, guardedDocument);
    } finally {
      await guarded.close();
    }
  });

  it("describes the answers the server gives", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(document as object, "openapi");
    const pointer = (path: string, method: string, status: number, media = "application/json"): string => `openapi#/paths/${path.replaceAll("~", "~0").replaceAll("/", "~1")}/${method}/responses/${status}/content/${media.replaceAll("/", "~1")}/schema`;
    const check = async (method: string, path: string, url: string, body?: unknown, key?: string | null): Promise<void> => {
      const answer = await server.call(method.toUpperCase(), url, body, key);
      const documented = document.paths[path]?.[method]?.responses[String(answer.status)];
      assert.ok(documented !== undefined, `${method} ${url} answered ${answer.status}, which is not documented`);
      const media = Object.keys(documented.content ?? {})[0];
      if (media !== "application/json") return;
      const validate = ajv.getSchema(pointer(path, method, answer.status)) ?? ajv.compile({ $ref: pointer(path, method, answer.status) });
      assert.ok(validate(answer.body), `${method} ${url} ${answer.status}: ${JSON.stringify(validate.errors)} in ${answer.text.slice(0, 300)}`);
    };
    const client = await connect(server.url);
    try {
      await client.ok({ type: "join", room: "openapi:room" });
      await client.ok({ type: "presence", room: "openapi:room", meta: { status: "here" } });
      for (const [path, body] of Object.entries(VALID_BODIES)) await check("post", path, path, body);
      await check("post", "/api/publish", "/api/publish", { room: "openapi:room" });
      await check("post", "/api/publish", "/api/publish", VALID_BODIES["/api/publish"], null);
      await check("get", "/api/rooms", "/api/rooms");
      await check("get", "/api/rooms/{room}/presence", "/api/rooms/openapi%3Aroom/presence");
      await check("get", "/api/rooms/{room}/presence", "/api/rooms/openapi%3Aroom/presence?limit=1");
      await check("get", "/api/rooms/{room}/presence", "/api/rooms/openapi%3Aroom/presence?limit=0");
      await check("get", "/api/rooms/{room}/history", "/api/rooms/openapi%3Aroom/history?limit=5");
      await check("get", "/api/rooms/{room}/history", "/api/rooms/openapi%3Aroom/history?offset=1");
      await check("get", "/api/stats", "/api/stats");
      await check("get", "/api/openapi.json", "/api/openapi.json", undefined, null);
      await check("get", "/health", "/health", undefined, null);
      await check("get", "/health/live", "/health/live", undefined, null);
      await check("get", "/metrics", "/metrics", undefined, null);
    } finally {
      await client.close();
    }
  });

  it("describes request bodies the way the server validates them", async () => {
    for (const [path, byMethod] of Object.entries(document.paths)) {
      const schema = byMethod.post?.requestBody?.content["application/json"].schema;
      if (schema === undefined) continue;
      const valid = VALID_BODIES[path];
      assert.ok(valid !== undefined, `a valid body for ${path}`);
      assert.equal((await server.call("POST", path, valid)).status, 200, `${path} accepts a documented body`);
      for (const field of schema.required ?? []) {
        const { [field]: _removed, ...missing } = valid;
        const response = await server.call("POST", path, missing);
        assert.equal(response.status, 400, `${path} without required "${field}"`);
      }
      assert.equal(schema.additionalProperties, false);
      assert.equal((await server.call("POST", path, { ...valid, unexpected: 1 })).status, 400, `${path} with an undocumented field`);
      for (const property of Object.keys(schema.properties)) assert.ok(property in valid || ["userIds", "connectionIds", "all", "userId", "code", "reason", "type"].includes(property), `${path}.${property} is known`);
    }
  });
});

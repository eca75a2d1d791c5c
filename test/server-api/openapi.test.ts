import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApiServer } from "../support/api-server.js";
import type { ApiServer } from "../support/api-server.js";

interface Operation {
  security?: unknown[];
  requestBody?: { content: { "application/json": { schema: { required?: string[]; additionalProperties?: boolean; properties: Record<string, unknown> } } } };
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** A body that satisfies each endpoint, from which the test removes or adds fields. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  "/api/publish": { room: "openapi:room", data: { n: 1 }, type: "tick" },
  "/api/broadcast": { rooms: ["openapi:room"], type: "tick", data: { n: 1 } },
  "/api/disconnect": { connectionId: "no-such-connection" },
};

describe("/api/openapi.json", () => {
  let server: ApiServer;
  let document: OpenApi;
  before(async () => {
    server = await startApiServer();
    const response = await server.call("GET", "/api/openapi.json", undefined, null);
    assert.equal(response.status, 200, "served without a key");
    document = response.body as unknown as OpenApi;
  });
  after(() => server.close());

  it("lists exactly the routes the server registers", () => {
    assert.equal(document.openapi, "3.1.0");
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`));
    assert.deepEqual(documented.sort(), server.running.api.routes().sort());
  });

  it("marks every /api route but itself as needing the key, and the server agrees", async () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const url = path.replace("{room}", "openapi%3Aroom");
        const anonymous = await server.call(method.toUpperCase(), url, method === "post" ? VALID_BODIES[path] : undefined, null);
        if (operation.security !== undefined) assert.equal(anonymous.status, 401, `${method} ${path} without a key`);
        else assert.notEqual(anonymous.status, 401, `${method} ${path} is documented as open`);
      }
    }
  });

  it("describes request bodies the way the server validates them", async () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      const schema = operations.post?.requestBody?.content["application/json"].schema;
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

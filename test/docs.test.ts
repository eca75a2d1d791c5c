import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLOSE_CODES, ERROR_CODES } from "switchboard";

const protocolDoc = readFileSync(new URL("../docs/protocol.md", import.meta.url), "utf8");

describe("docs/protocol.md matches the code's tables", () => {
  it("documents every error code with its HTTP status and meaning", () => {
    for (const [code, { httpStatus, meaning }] of Object.entries(ERROR_CODES)) {
      assert.ok(protocolDoc.includes(`| \`${code}\` | ${httpStatus} | ${meaning} |`), `error code ${code}`);
    }
  });

  it("documents every close code with its reconnect advice", () => {
    for (const [code, { name, reconnect, meaning }] of Object.entries(CLOSE_CODES)) {
      assert.ok(protocolDoc.includes(`| ${code} | \`${name}\` | ${reconnect} | ${meaning} |`), `close code ${code}`);
    }
  });
});

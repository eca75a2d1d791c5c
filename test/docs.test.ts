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

describe("docs/security.md", () => {
  it("names only test files that exist, one for every probe family", async () => {
    const { existsSync } = await import("node:fs");
    const doc = readFileSync(new URL("../docs/security.md", import.meta.url), "utf8");
    const families = doc.slice(doc.indexOf("## Probe families"), doc.indexOf("## How it is tested")).split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| family") && !line.startsWith("|---"));
    assert.ok(families.length >= 8, "a row per probe family");
    for (const row of families) {
      const files = row.match(/test\/[\w/.-]+\.test\.ts/g) ?? [];
      assert.ok(files.length > 0, `a test for: ${row.slice(0, 60)}`);
      for (const file of files) assert.ok(existsSync(new URL(`../${file}`, import.meta.url)), `${file} exists`);
    }
  });
});

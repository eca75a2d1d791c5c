import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import { configJsonSchemaText } from "../../src/config/config-json-schema.js";
import { ConfigError, ENVIRONMENT_VARIABLES, loadServerConfig } from "../../src/config/server-config.js";

const dir = mkdtempSync(join(tmpdir(), "switchboard-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const published = readFileSync(new URL("../../schema/config.schema.json", import.meta.url), "utf8");
const validate = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false, allErrors: true }).compile(JSON.parse(published) as object);
const yamlBlocks = [...readFileSync(new URL("../../docs/config-file.md", import.meta.url), "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe("the config file", () => {
  it("publishes a JSON Schema that is the one generated from the validator (run npm run schema when this fails)", () => {
    assert.equal(published, configJsonSchemaText());
  });

  it("reads YAML and JSON to the same settings, and ignores a $schema key", () => {
    const yaml = file("a.yaml", "# yaml-language-server: $schema=./schema/config.schema.json\nport: 9000\nallowedOrigins:\n  - https://app.example.com\nrooms:\n  - match: ticker:{symbol}\n    publish: nobody\n    presence: false\n");
    const json = file("a.json", JSON.stringify({ $schema: "./schema/config.schema.json", port: 9000, allowedOrigins: ["https://app.example.com"], rooms: [{ match: "ticker:{symbol}", publish: "nobody", presence: false }] }));
    const fromYaml = loadServerConfig({}, yaml);
    assert.deepEqual(fromYaml, loadServerConfig({}, json));
    assert.equal(fromYaml.port, 9000);
    assert.deepEqual(fromYaml.rooms, [{ match: "ticker:{symbol}", publish: "nobody", presence: false }]);
    assert.equal(loadServerConfig({ SWITCHBOARD_PORT: "9001" }, yaml).port, 9001, "the environment overrides the file");
  });

  it("says where a YAML file is broken, and refuses a file that is not an object of settings", () => {
    assert.throws(() => loadServerConfig({}, file("broken.yml", "port: 80\nrooms: [\n")), (error: Error) => error instanceof ConfigError && /broken\.yml/.test(error.message) && /at line \d+, column \d+/.test(error.message));
    assert.throws(() => loadServerConfig({}, file("list.yaml", "- port: 80\n")), /must hold an object of settings/);
    assert.equal(loadServerConfig({}, file("empty.yaml", "# nothing yet\n")).port, 8080);
  });

  it("accepts every example of docs/config-file.md, in the schema and in the validator", () => {
    assert.ok(yamlBlocks.length >= 5, "the examples are found");
    yamlBlocks.forEach((text, index) => {
      assert.ok(validate(parseYaml(text)), `example ${index + 1} against the schema: ${JSON.stringify(validate.errors)}`);
      const config = loadServerConfig({}, file(`example-${index}.yaml`, text));
      assert.ok(config.rooms.length > 0, `example ${index + 1} has room policies`);
    });
  });

  it("documents every setting in docs/ by its config key and its environment variables", () => {
    const docsDir = new URL("../../docs/", import.meta.url);
    const docs = readdirSync(docsDir).filter((name) => name.endsWith(".md")).map((name) => readFileSync(new URL(name, docsDir), "utf8")).join("\n");
    const undocumented = Object.entries(ENVIRONMENT_VARIABLES).flatMap(([key, names]) => [`\`${key}\``, ...names].filter((name) => !docs.includes(name)));
    assert.deepEqual(undocumented, []);
  });

  it("refuses in the schema what the validator refuses", () => {
    for (const settings of [{ prot: 8080 }, { port: "eighty" }, { rooms: [{ match: "x", join: "admins" }] }, { rooms: [{ match: "x", presence: "no" }] }, { rooms: [{ join: "anyone" }] }]) {
      assert.equal(validate(settings), false, `the schema refuses ${JSON.stringify(settings)}`);
      assert.throws(() => loadServerConfig({}, file("refused.json", JSON.stringify(settings))), ConfigError, `the server refuses ${JSON.stringify(settings)}`);
    }
  });
});

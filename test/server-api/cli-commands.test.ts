import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_KEY } from "../support/api-server.js";
import { connect } from "../support/client.js";
import { runCli, startServerProcess } from "../support/process.js";
import type { ServerProcess } from "../support/process.js";
import { TEST_SECRET } from "../support/tokens.js";

describe("switchboard token and publish", () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess({ SWITCHBOARD_JWT_SECRET: TEST_SECRET, SWITCHBOARD_API_KEY: API_KEY });
  });
  after(() => server.stop());

  it("mints a token the server accepts, with the user id and claims", async () => {
    const minted = await runCli(["token", "player-42", "--claim", "role=admin", "--claim", "level=7", "--expires", "10m"], { SWITCHBOARD_JWT_SECRET: TEST_SECRET });
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const client = await connect(`${server.url}?token=${token}`);
    assert.equal((client.welcome!.data as { userId: string }).userId, "player-42");
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    assert.equal(claims.role, "admin");
    assert.equal(claims.level, 7);
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
    await client.close();
  });

  it("publishes through the server API to a room's members", async () => {
    const token = (await runCli(["token", "reader"], { SWITCHBOARD_JWT_SECRET: TEST_SECRET })).stdout.trim();
    const client = await connect(`${server.url}?token=${token}`);
    await client.ok({ type: "join", room: "cli:room", id: 1 });
    const published = await runCli(["publish", "cli:room", '{"text":"from a shell"}', "--type", "note", "--url", `http://127.0.0.1:${server.port}`], { SWITCHBOARD_API_KEY: API_KEY });
    assert.equal(published.code, 0, published.stderr);
    const answer = JSON.parse(published.stdout) as { offset: number };
    const message = await client.nextOfType("message");
    assert.deepEqual(message.data, { text: "from a shell" });
    assert.equal(message.event, "note");
    assert.equal(message.offset, answer.offset);
    await client.close();
  });

  it("exits 1 with the server's answer when the key is wrong, 2 for usage errors", async () => {
    const refused = await runCli(["publish", "cli:room", "{}", "--url", `http://127.0.0.1:${server.port}`, "--key", "wrong-key-0123456789abcdef"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401.*unauthorized/);
    const noKey = await runCli(["publish", "cli:room", "{}"], { SWITCHBOARD_API_KEY: "" });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /SWITCHBOARD_API_KEY/);
    const badJson = await runCli(["publish", "cli:room", "{nope"], { SWITCHBOARD_API_KEY: API_KEY });
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /not valid JSON/);
    const noSecret = await runCli(["token", "u1"], { SWITCHBOARD_JWT_SECRET: "" });
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /SWITCHBOARD_JWT_SECRET/);
    const badClaim = await runCli(["token", "u1", "--claim", "novalue"], { SWITCHBOARD_JWT_SECRET: TEST_SECRET });
    assert.equal(badClaim.code, 2);
    assert.match(badClaim.stderr, /name=value/);
    const badFlag = await runCli(["token", "u1", "--forever"], { SWITCHBOARD_JWT_SECRET: TEST_SECRET });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--forever/);
  });

  it("prints help for each command", async () => {
    for (const command of ["start", "token", "publish"]) {
      const help = await runCli([command, "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`Usage: switchboard ${command}`));
    }
    const overview = await runCli(["--help"]);
    assert.match(overview.stdout, /token/);
    assert.match(overview.stdout, /publish/);
  });
});

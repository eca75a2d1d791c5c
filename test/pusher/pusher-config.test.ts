import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadServerConfig } from "../../src/config/server-config.js";
import { pusherOptionsFromConfig } from "../../src/pusher/pusher-config.js";
import { resolvePusherOptions } from "../../src/pusher/pusher-options.js";

const base = { SWITCHBOARD_AUTH: "anonymous" };

describe("Pusher app configuration", () => {
  it("reads one app from SWITCHBOARD_PUSHER_APP_ID / _KEY / _SECRET and more from SWITCHBOARD_PUSHER_APPS", () => {
    const config = loadServerConfig(
      {
        ...base,
        SWITCHBOARD_PUSHER_APP_ID: "1",
        SWITCHBOARD_PUSHER_APP_KEY: "key-one",
        SWITCHBOARD_PUSHER_APP_SECRET: "secret-one",
        SWITCHBOARD_PUSHER_CLIENT_EVENTS: "true",
        SWITCHBOARD_PUSHER_APPS: JSON.stringify([{ id: "2", key: "key-two", secret: "secret-two", roomPrefix: "two:", maxConnections: 10 }]),
      },
      undefined,
    );
    const options = pusherOptionsFromConfig(config)!;
    assert.deepEqual(
      options.apps.map((app) => [app.id, app.key, app.clientEvents ?? false, app.roomPrefix ?? ""]),
      [
        ["2", "key-two", false, "two:"],
        ["1", "key-one", true, ""],
      ],
    );
    assert.equal(pusherOptionsFromConfig(loadServerConfig(base, undefined)), undefined);
  });

  it("names the missing variable when an app is half configured", () => {
    assert.throws(() => loadServerConfig({ ...base, SWITCHBOARD_PUSHER_APP_ID: "1", SWITCHBOARD_PUSHER_APP_KEY: "key-one" }, undefined), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /SWITCHBOARD_PUSHER_APP_SECRET/);
      return true;
    });
    assert.throws(() => loadServerConfig({ ...base, SWITCHBOARD_PUSHER_APPS: "[{\"id\":\"1\"}]" }, undefined), /SWITCHBOARD_PUSHER_APPS/);
  });

  it("refuses two apps that would share rooms or keys", () => {
    assert.throws(
      () => resolvePusherOptions({ apps: [{ id: "1", key: "a-key", secret: "secret-one" }, { id: "2", key: "b-key", secret: "secret-two" }] }),
      /same roomPrefix/,
    );
    assert.throws(() => resolvePusherOptions({ apps: [{ id: "1", key: "a-key", secret: "secret-one" }, { id: "2", key: "a-key", secret: "secret-two", roomPrefix: "b:" }] }), /same key/);
    assert.throws(() => resolvePusherOptions({ apps: [{ id: "1", key: "a key", secret: "secret-one" }] }), /apps\[0\]\.key/);
  });
});

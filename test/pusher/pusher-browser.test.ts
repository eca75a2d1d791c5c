import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import type { ApiServer } from "../support/api-server.js";
import { launchBrowser } from "../support/browser.js";
import type { TestBrowser } from "../support/browser.js";
import PusherServer from "pusher";
import { APP, portOf, serverSdk, startPusherServer } from "./support.js";

const require = createRequire(import.meta.url);
// The build with end-to-end encryption support (a superset of pusher.min.js), so encrypted channels can be checked too.
const PUSHER_JS = readFileSync(require.resolve("pusher-js/dist/web/pusher-with-encryption.min.js"), "utf8");
/** The backend's encryption master key: only the backend and the subscribers ever see the plaintext. */
const MASTER_KEY = Buffer.alloc(32, 7).toString("base64");
// The package's exports map hides its browser bundle; it is read from the installed package's folder.
const ECHO_JS = readFileSync(join(dirname(require.resolve("laravel-echo")), "echo.iife.js"), "utf8");

/** The page a Laravel front end (mode=echo) or a plain pusher-js one would serve; both scripts are the npm packages' own bundles. */
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/pusher.js"></script><script src="/echo.js"></script>
<script>
window.log = [];
const params = new URLSearchParams(location.search);
const user = params.get("user");
const common = { wsHost: "127.0.0.1", wsPort: Number(params.get("ws")), forceTLS: false, enabledTransports: ["ws"], cluster: "", disableStats: true };
if (params.get("mode") === "echo") {
  window.echo = new Echo.default({ broadcaster: "pusher", key: ${JSON.stringify(APP.key)}, ...common, authEndpoint: "/auth?user=" + user, Pusher });
  echo.private("orders.7").listen("OrderShipped", (event) => log.push(["shipped", event]));
  echo.join("room.1")
    .here((users) => log.push(["here", users.map((member) => member.id)]))
    .joining((member) => log.push(["joining", member.id]))
    .leaving((member) => log.push(["leaving", member.id]))
    .listenForWhisper("typing", (event) => log.push(["whisper", event]));
} else {
  window.pusher = new Pusher(${JSON.stringify(APP.key)}, { ...common, channelAuthorization: { endpoint: "/auth?user=" + user, transport: "ajax" } });
  const channel = pusher.subscribe("presence-room.1");
  channel.bind("pusher:subscription_succeeded", (members) => {
    log.push(["subscribed", members.count]);
    channel.trigger("client-typing", { who: user });
  });
  const vault = pusher.subscribe("private-encrypted-vault");
  vault.bind("pusher:subscription_succeeded", () => log.push(["vault"]));
  vault.bind("secret", (data) => log.push(["secret", data]));
}
</script>`;

describe("pusher-js and Laravel Echo in Chromium", () => {
  let server: ApiServer;
  let backend: Server;
  let backendUrl: string;
  let browser: TestBrowser;

  before(async () => {
    server = await startPusherServer();
    const sdk = new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: "127.0.0.1", port: String(portOf(server)), useTLS: false, encryptionMasterKeyBase64: MASTER_KEY });
    // The app's own backend: serves the page and authorizes channels with the pusher SDK, as a Laravel or Express app does.
    backend = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (url.pathname === "/pusher.js" || url.pathname === "/echo.js") {
        response.writeHead(200, { "content-type": "text/javascript" });
        return response.end(url.pathname === "/pusher.js" ? PUSHER_JS : ECHO_JS);
      }
      if (url.pathname === "/auth" && request.method === "POST") {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
          const form = new URLSearchParams(body);
          const user = url.searchParams.get("user") ?? "guest";
          const channel = form.get("channel_name") ?? "";
          const presence = channel.startsWith("presence-") ? { user_id: user, user_info: { id: user, name: user.toUpperCase() } } : undefined;
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify(sdk.authorizeChannel(form.get("socket_id") ?? "", channel, presence)));
        });
        return;
      }
      response.writeHead(200, { "content-type": "text/html" });
      response.end(PAGE);
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    backend?.closeAllConnections();
    await new Promise<void>((resolve) => backend?.close(() => resolve()));
    await server?.close();
  });

  const logOf = (page: Page): Promise<unknown[][]> => page.evaluate(() => (window as unknown as { log: unknown[][] }).log);
  const waitForLog = async (page: Page, kind: string): Promise<unknown[]> => {
    await page.waitForFunction((wanted) => (window as unknown as { log: unknown[][] }).log.some((entry) => entry[0] === wanted), kind, { timeout: 10_000 });
    return (await logOf(page)).find((entry) => entry[0] === kind)!;
  };

  it("Echo receives a broadcast event, presence and whispers; pusher-js whispers from another page", async () => {
    const alice = await browser.page();
    await alice.goto(`${backendUrl}/?mode=echo&user=alice&ws=${portOf(server)}`);
    assert.deepEqual(await waitForLog(alice, "here"), ["here", ["alice"]]);

    const bob = await browser.page();
    await bob.goto(`${backendUrl}/?mode=pusher&user=bob&ws=${portOf(server)}`);
    assert.deepEqual(await waitForLog(bob, "subscribed"), ["subscribed", 2]);
    assert.deepEqual(await waitForLog(alice, "joining"), ["joining", "bob"]);
    assert.deepEqual(await waitForLog(alice, "whisper"), ["whisper", { who: "bob" }]);

    // Laravel broadcasts App\\Events\\OrderShipped; Echo listens to "OrderShipped" in the App.Events namespace.
    await alice.waitForFunction(() => (window as unknown as { echo: { connector: { channels: Record<string, { subscription: { subscribed: boolean } }> } } }).echo.connector.channels["private-orders.7"]?.subscription.subscribed === true, undefined, { timeout: 10_000 });
    await serverSdk(server).trigger("private-orders.7", "App\\Events\\OrderShipped", { order: 7 });
    assert.deepEqual(await waitForLog(alice, "shipped"), ["shipped", { order: 7 }]);

    // An encrypted channel's payload passes through the server untouched: the SDK encrypts, pusher-js decrypts.
    await waitForLog(bob, "vault");
    await new PusherServer({ appId: APP.id, key: APP.key, secret: APP.secret, host: "127.0.0.1", port: String(portOf(server)), useTLS: false, encryptionMasterKeyBase64: MASTER_KEY }).trigger("private-encrypted-vault", "secret", { code: 1234 });
    assert.deepEqual(await waitForLog(bob, "secret"), ["secret", { code: 1234 }]);

    await bob.close();
    assert.deepEqual(await waitForLog(alice, "leaving"), ["leaving", "bob"]);
  });
});

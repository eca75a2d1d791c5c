import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import PusherServer from "pusher";
import type { ApiServer } from "../support/api-server.js";
import { TestBackend } from "../support/http-backend.js";
import { waitFor } from "../support/wait.js";
import type { Pusher, PusherClientOptions } from "./support.js";
import { APP, connected, nextEvent, portOf, pusherClient, serverSdk, startPusherServer, subscribed } from "./support.js";

describe("the Pusher HTTP API and webhooks, through the pusher server SDK", () => {
  let server: ApiServer;
  let hooks: TestBackend;
  const clients: Pusher[] = [];
  const client = (options?: PusherClientOptions): Pusher => {
    const created = pusherClient(server, options);
    clients.push(created);
    return created;
  };

  before(async () => {
    hooks = await new TestBackend(() => ({ status: 200, body: {} })).start();
    server = await startPusherServer({ SWITCHBOARD_PUSHER_WEBHOOK_URL: hooks.url });
  });
  after(async () => {
    for (const created of clients) created.disconnect();
    await server.close();
    await hooks.close();
  });

  it("triggers to several channels and in batches", async () => {
    const pusher = client();
    const { channel: a } = await subscribed(pusher, "batch-a");
    const { channel: b } = await subscribed(pusher, "batch-b");
    const both = Promise.all([nextEvent(a, "tick"), nextEvent(b, "tick")]);
    await serverSdk(server).trigger(["batch-a", "batch-b"], "tick", { n: 1 });
    assert.deepEqual(await both, [{ n: 1 }, { n: 1 }]);
    const batched = Promise.all([nextEvent(a, "first"), nextEvent(b, "second")]);
    await serverSdk(server).triggerBatch([
      { channel: "batch-a", name: "first", data: { n: 2 } },
      { channel: "batch-b", name: "second", data: "plain text" },
    ]);
    assert.deepEqual(await batched, [{ n: 2 }, "plain text"]);
  });

  it("answers channel queries", async () => {
    const carol = client({ user: { id: "carol" } });
    const dave = client({ user: { id: "dave" } });
    await subscribed(carol, "presence-query");
    await subscribed(dave, "presence-query");
    await subscribed(carol, "query-public");
    const sdk = serverSdk(server);
    const presenceList = (await (await sdk.get({ path: "/channels", params: { filter_by_prefix: "presence-", info: "user_count" } })).json()) as { channels: Record<string, { user_count: number }> };
    assert.equal(presenceList.channels["presence-query"]?.user_count, 2);
    const all = (await (await sdk.get({ path: "/channels" })).json()) as { channels: Record<string, unknown> };
    assert.ok("query-public" in all.channels);
    const one = (await (await sdk.get({ path: "/channels/presence-query", params: { info: "user_count,subscription_count" } })).json()) as Record<string, unknown>;
    assert.deepEqual(one, { occupied: true, user_count: 2, subscription_count: 2 });
    const empty = (await (await sdk.get({ path: "/channels/nobody-here" })).json()) as Record<string, unknown>;
    assert.deepEqual(empty, { occupied: false });
  });

  it("refuses a request signed with the wrong secret, and one with a stale timestamp", async () => {
    await assert.rejects(serverSdk(server, "wrong-secret-0123456").trigger("news", "x", {}), (error: { status?: number }) => error.status === 401);
    // The SDK's own token signs a request whose auth_timestamp is an hour old.
    const { Token } = PusherServer as unknown as { Token: new (key: string, secret: string) => { sign(data: string): string } };
    const token = new Token(APP.key, APP.secret);
    const body = JSON.stringify({ name: "late", channels: ["news"], data: "{}" });
    const path = `/apps/${APP.id}/events`;
    const query = `auth_key=${APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000) - 3600}&auth_version=1.0&body_md5=${createHash("md5").update(body).digest("hex")}`;
    const signature = token.sign(["POST", path, query].join("\n"));
    const response = await fetch(`http://127.0.0.1:${portOf(server)}${path}?${query}&auth_signature=${signature}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /Timestamp expired/);
  });

  it("signs in a user, delivers sendToUser to its connections, and terminates them", async () => {
    const pusher = client({ user: { id: "erin" } });
    await connected(pusher);
    const signedIn = new Promise<void>((resolve) => pusher.connection.bind("message", (event: { event: string }) => event.event === "pusher:signin_success" && resolve()));
    pusher.signin();
    await signedIn;
    await waitFor(() => pusher.user.serverToUserChannel?.subscribed === true, "the user channel subscription");
    const direct = nextEvent(pusher.user, "nudge");
    await serverSdk(server).sendToUser("erin", "nudge", { hi: true });
    assert.deepEqual(await direct, { hi: true });

    const closed = new Promise<number>((resolve) => pusher.connection.bind("error", (error: { data?: { code?: number } }) => resolve(error.data?.code ?? 0)));
    await serverSdk(server).terminateUserConnections("erin");
    // 4009 is in the 4000-4099 range: pusher-js does not reconnect.
    assert.equal(await closed, 4009);
    await waitFor(() => pusher.connection.state === "disconnected", "pusher-js to stay disconnected");
  });

  it("gives a cache channel's last event to a new subscriber, and pusher:cache_miss when there is none", async () => {
    const late = client();
    const miss = new Promise<void>((resolve) => late.connection.bind("message", (event: { event: string; channel?: string }) => event.event === "pusher:cache_miss" && event.channel === "cache-quotes" && resolve()));
    await subscribed(late, "cache-quotes");
    await miss;
    await serverSdk(server).trigger("cache-quotes", "quote", { price: 42 });
    const newcomer = client();
    const channel = newcomer.subscribe("cache-quotes");
    assert.deepEqual(await nextEvent(channel, "quote"), { price: 42 });
  });

  it("sends signed webhooks that the SDK verifies", async () => {
    const [a, b] = [client({ user: { id: "hook-user" } }), client()];
    await subscribed(a, "presence-hooks");
    await subscribed(b, "private-hooks");
    await subscribed(a, "private-hooks");
    a.channel("private-hooks")!.trigger("client-ping", { at: 1 });
    await nextEvent(b.channel("private-hooks")!, "client-ping");
    a.unsubscribe("presence-hooks");
    const sdk = serverSdk(server);
    const events = (): Array<Record<string, unknown>> =>
      hooks.requests.flatMap((request) => {
        const webhook = sdk.webhook({ headers: request.headers as Record<string, string>, rawBody: request.raw });
        assert.equal(webhook.isValid(), true, "every webhook verifies with the app's key and secret");
        return webhook.getEvents() as unknown as Array<Record<string, unknown>>;
      });
    const has = (name: string, channelName: string): boolean => events().some((event) => event.name === name && event.channel === channelName);
    await waitFor(() => has("channel_vacated", "presence-hooks") && has("client_event", "private-hooks"), "the webhooks", 8_000);
    assert.ok(has("channel_occupied", "presence-hooks"));
    assert.ok(events().some((event) => event.name === "member_added" && event.user_id === "hook-user"));
    assert.ok(events().some((event) => event.name === "member_removed" && event.user_id === "hook-user"));
    const clientEvent = events().find((event) => event.name === "client_event")!;
    assert.equal(clientEvent.event, "client-ping");
    assert.equal(clientEvent.socket_id, a.connection.socket_id);
    assert.ok(has("cache_miss", "cache-quotes"));
    // A wrong secret does not verify.
    const forged = new PusherServer({ appId: APP.id, key: APP.key, secret: "some-other-secret", host: "127.0.0.1" });
    const request = hooks.requests[0]!;
    assert.equal(forged.webhook({ headers: request.headers as Record<string, string>, rawBody: request.raw }).isValid(), false);
  });
});

describe("Pusher webhooks when the endpoint fails", () => {
  it("retries a batch that got a 5xx, with the same signed body", { timeout: 30_000 }, async () => {
    let calls = 0;
    const hooks = await new TestBackend(() => ({ status: ++calls === 1 ? 503 : 200, body: {} })).start();
    const server = await startPusherServer({ SWITCHBOARD_PUSHER_WEBHOOK_URL: hooks.url });
    const pusher = pusherClient(server);
    try {
      await subscribed(pusher, "retried");
      await waitFor(() => hooks.requests.length >= 2, "the retry of the webhook batch", 10_000);
      const [failed, retried] = hooks.requests as [(typeof hooks.requests)[number], (typeof hooks.requests)[number]];
      assert.equal(retried.raw, failed.raw);
      const sdk = serverSdk(server);
      assert.equal(sdk.webhook({ headers: retried.headers as Record<string, string>, rawBody: retried.raw }).isValid(), true);
      assert.deepEqual(
        sdk.webhook({ headers: retried.headers as Record<string, string>, rawBody: retried.raw }).getEvents().map((event) => [event.name, event.channel]),
        [["channel_occupied", "retried"]],
      );
    } finally {
      pusher.disconnect();
      await server.close();
      await hooks.close();
    }
  });
});

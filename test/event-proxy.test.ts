import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TokenCapture, eventProxy, httpConnectHook, httpJoinHook, verifyRequest } from "switchboard";
import { connect, upgradeStatus } from "./support/client.js";
import type { TestClient } from "./support/client.js";
import { TestBackend } from "./support/http-backend.js";
import type { BackendAnswer, BackendRequest } from "./support/http-backend.js";
import { startTestServer } from "./support/server.js";
import type { TestServer } from "./support/server.js";
import { TEST_SECRET, mintToken } from "./support/tokens.js";

const SHARED_SECRET = "proxy-shared-secret";
const TIMEOUT_MS = 300;
let quoteAttempts = 0;

function route(request: BackendRequest): BackendAnswer {
  if (!verifyRequest(SHARED_SECRET, request.headers, request.raw)) return { status: 401, body: { error: { code: "unauthorized", message: "bad signature" } } };
  const body = request.body;
  if (request.path === "/connect") {
    const cookie = (body.headers as { cookie?: string }).cookie ?? "";
    if (cookie === "session=alice") return { body: { allow: true, userId: "alice", claims: { plan: "pro" } } };
    if (cookie === "session=bob") return { body: { allow: true, userId: "bob", claims: { plan: "free" } } };
    if (cookie === "session=backend-down") return { status: 503 };
    return { body: { allow: false } };
  }
  if (request.path === "/join") {
    const room = body.room as string;
    if (room === "slow:1") return { body: { allow: true }, delayMs: TIMEOUT_MS * 4 };
    if (room.startsWith("vip:")) return { body: { allow: (body.claims as { plan?: string }).plan === "pro" } };
    return { body: { allow: true } };
  }
  switch (body.type) {
    case "order.create":
      return {
        body: {
          reply: { orderId: 7, userId: body.userId, plan: (body.claims as { plan?: string }).plan, token: body.token ?? null, data: body.data },
          join: [`orders:${body.userId as string}`],
          broadcast: [{ room: "orders:feed", event: "order.created", data: { orderId: 7 } }],
        },
      };
    case "order.slow":
      return { body: { reply: "too late" }, delayMs: TIMEOUT_MS * 4 };
    case "order.crash":
      return { status: 500, body: { message: "stack trace with secrets" } };
    case "order.refused":
      return { status: 403, body: { error: { code: "forbidden", message: "Orders are closed." } } };
    case "order.flaky":
      return { status: 503 };
    case "quote.get":
      quoteAttempts++;
      return quoteAttempts < 3 ? { status: 503 } : { body: { reply: { price: 42, attempts: quoteAttempts } } };
    default:
      return { status: 404 };
  }
}

describe("event proxy and HTTP hooks against a real backend", () => {
  let backend: TestBackend;
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;

  before(async () => {
    backend = await new TestBackend(route).start();
    const hook = { secret: SHARED_SECRET, timeoutMs: TIMEOUT_MS, retries: 0 };
    server = await startTestServer({
      auth: { authenticate: httpConnectHook({ url: `${backend.url}/connect`, ...hook }) },
      canJoin: httpJoinHook({ url: `${backend.url}/join`, ...hook }),
    });
    server.sb.use(eventProxy({ url: `${backend.url}/proxy`, secret: SHARED_SECRET, timeoutMs: TIMEOUT_MS, events: ["order.*", "quote.*"], idempotent: ["quote.*"], retryDelayMs: 10 }));
    alice = await connect(server.url, { headers: { cookie: "session=alice" } });
    bob = await connect(server.url, { headers: { cookie: "session=bob" } });
  });

  after(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await server?.close();
    await backend?.close();
  });

  it("accepts connections the connect hook allows, with its user id and claims", async () => {
    assert.equal((alice.welcome?.data as { userId: string }).userId, "alice");
    assert.equal(await upgradeStatus(server.url, { headers: { cookie: "session=nobody" } }), 401);
    assert.equal(await upgradeStatus(server.url, { headers: { cookie: "session=backend-down" } }), 503);
    const call = backend.on("/connect")[0]!;
    assert.equal((call.body.headers as { cookie: string }).cookie, "session=alice");
  });

  it("asks the join hook, and maps its timeout to unavailable", async () => {
    await alice.ok({ type: "join", room: "vip:lounge" });
    const refused = await bob.request({ type: "join", room: "vip:lounge" });
    assert.equal((refused.error as { code: string }).code, "forbidden");
    const slow = await bob.request({ type: "join", room: "slow:1" });
    assert.equal((slow.error as { code: string }).code, "unavailable");
    const call = backend.on("/join").find((request) => request.body.room === "vip:lounge" && request.body.userId === "alice")!;
    assert.deepEqual(call.body.claims, { plan: "pro" });
  });

  it("forwards matching events signed, and applies the backend's reply, joins and broadcasts", async () => {
    await bob.ok({ type: "join", room: "orders:feed" });
    const reply = await alice.ok({ type: "order.create", data: { sku: "A1" } });
    assert.deepEqual(reply, { orderId: 7, userId: "alice", plan: "pro", token: null, data: { sku: "A1" } });
    const created = await bob.nextOfType("order.created");
    assert.deepEqual(created.data, { orderId: 7 });
    assert.equal(created.room, "orders:feed");
    const joined = await alice.request({ type: "leave", room: "orders:alice" });
    assert.equal(joined.ok, true, "the backend joined alice to orders:alice");
    const call = backend.on("/proxy").find((request) => request.body.type === "order.create")!;
    assert.equal(call.body.connectionId, alice.connectionId);
    assert.equal("token" in call.body, false, "no raw token unless configured");
    assert.match(String(call.headers["x-switchboard-signature"]), /^v1=[0-9a-f]{64}$/);
    assert.equal(verifyRequest("another secret", call.headers, call.raw), false);
  });

  it("maps timeouts and 503 to unavailable, 500 to internal, and passes the backend's 4xx error", async () => {
    const code = async (type: string): Promise<string> => ((await alice.request({ type })).error as { code: string }).code;
    assert.equal(await code("order.slow"), "unavailable");
    assert.equal(await code("order.flaky"), "unavailable");
    const crash = await alice.request({ type: "order.crash" });
    assert.deepEqual(crash.error, { code: "internal", message: "Internal error." });
    assert.deepEqual((await alice.request({ type: "order.refused" })).error, { code: "forbidden", message: "Orders are closed." });
    assert.equal(backend.requests.filter((request) => request.body.type === "order.flaky").length, 1, "not idempotent: no retry");
    assert.equal(await code("chat.unknown"), "unknown_type", "types outside the patterns are not forwarded");
  });

  it("retries idempotent types with one idempotency key", async () => {
    const reply = await alice.ok({ type: "quote.get" });
    assert.deepEqual(reply, { price: 42, attempts: 3 });
    const keys = new Set(backend.requests.filter((request) => request.body.type === "quote.get").map((request) => request.headers["idempotency-key"]));
    assert.equal(keys.size, 1);
  });
});

describe("event proxy token forwarding", () => {
  it("forwards the connection's raw token only when configured", async () => {
    const backend = await new TestBackend((request) => ({ body: { reply: { token: request.body.token ?? null, userId: request.body.userId } } })).start();
    const capture = new TokenCapture();
    const server = await startTestServer({ auth: capture.wrap({ jwt: { secret: TEST_SECRET } }) });
    server.sb.use(eventProxy({ url: backend.url, events: ["with-token.*"], forwardToken: (ctx) => capture.tokenFor(ctx.claims) }));
    server.sb.use(eventProxy({ url: backend.url, events: ["without-token.*"] }));
    const token = await mintToken({ sub: "carol" }, { expiresIn: "1h" });
    const client = await connect(`${server.url}?token=${token}`);
    try {
      assert.deepEqual(await client.ok({ type: "with-token.call" }), { token, userId: "carol" });
      assert.deepEqual(await client.ok({ type: "without-token.call" }), { token: null, userId: "carol" });
      assert.equal(await upgradeStatus(`${server.url}?token=forged`), 401, "the wrapped auth still verifies tokens");
    } finally {
      await client.close();
      await server.close();
      await backend.close();
    }
  });
});

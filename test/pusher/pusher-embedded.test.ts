import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { startPusherExample } from "../../examples/pusher.js";
import { connect } from "../support/client.js";
import type { NodeAddress, Pusher } from "./support.js";
import { APP, nextEvent, pusherClient, serverSdk, subscribed } from "./support.js";

describe("examples/pusher.ts: the Pusher protocol on an embedded Switchboard", () => {
  let example: Awaited<ReturnType<typeof startPusherExample>>;
  let address: NodeAddress;
  let pusher: Pusher;

  before(async () => {
    example = await startPusherExample({ port: 0, app: APP });
    address = { apiUrl: `http://127.0.0.1:${(example.app.server.address() as AddressInfo).port}` };
    pusher = pusherClient(address);
  });
  after(async () => {
    pusher.disconnect();
    await example.app.close();
  });

  it("serves pusher-js, the pusher SDK and native clients on one port, in the same rooms", async () => {
    const { channel } = await subscribed(pusher, "private-status-build");
    const native = await connect(`ws://127.0.0.1:${new URL(address.apiUrl).port}/ws`);
    // allowNative lets native clients into private-status-* rooms, and no other private room.
    await native.ok({ type: "join", room: "private-status-build" });
    assert.equal(((await native.request({ type: "join", room: "private-deploys" })).error as { code: string }).code, "forbidden");

    const fromNative = nextEvent(channel, "progress");
    await native.ok({ type: "publish", room: "private-status-build", event: "progress", data: { percent: 40 } });
    assert.deepEqual(await fromNative, { percent: 40 });

    const nativeGets = native.next((frame) => frame.type === "message" && (frame as { event?: string }).event === "done");
    await serverSdk(address).trigger("private-status-build", "done", { ok: true });
    assert.deepEqual(JSON.parse((await nativeGets).data as string), { ok: true });
    await native.close();
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { createSwitchboard } from "switchboard";
import { SwitchboardClientError, connect } from "switchboard/client";
import { freePort } from "../support/process.js";
import { waitFor } from "../support/wait.js";
import { StateLog, connected } from "./support.js";

interface Requests {
  echo: { data: { n: number }; reply: { n: number } };
}

describe("client send queue while disconnected", () => {
  it("queues up to maxQueued requests, rejects the next with queue_full, and sends the queue in order once connected", async () => {
    const port = await freePort();
    // Nothing listens on the port yet: the client keeps retrying.
    const client = connect<object, Requests>(`ws://127.0.0.1:${port}/ws`, { maxQueued: 3, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    const log = new StateLog(client);
    await log.wait("reconnecting");
    const replies = [1, 2, 3].map((n) => client.request("echo", { n }, { timeout: 30_000 }));
    assert.equal(client.queued, 3);
    const overflow = await client.request("echo", { n: 4 }).catch((error: unknown) => error);
    assert.ok(overflow instanceof SwitchboardClientError);
    assert.equal(overflow.code, "queue_full");

    const order: number[] = [];
    const sb = createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: "silent" }) });
    sb.handle("echo", (_ctx, data) => {
      order.push((data as { n: number }).n);
      return data;
    });
    await sb.listen(port, "127.0.0.1");
    try {
      assert.deepEqual(await Promise.all(replies), [{ n: 1 }, { n: 2 }, { n: 3 }]);
      assert.deepEqual(order, [1, 2, 3]);
      assert.equal(client.queued, 0);
    } finally {
      await client.close();
      await sb.close();
    }
  });

  it("drops a queued request whose timeout passes before a connection comes, and queued joins take effect on connect", async () => {
    const port = await freePort();
    const client = connect(`ws://127.0.0.1:${port}/ws`, { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    const log = new StateLog(client);
    await log.wait("reconnecting");
    const expired = await client.request("echo", {}, { timeout: 50 }).catch((error: unknown) => error);
    assert.ok(expired instanceof SwitchboardClientError);
    assert.equal(expired.code, "timeout");
    assert.equal(client.queued, 0);
    const joining = client.join("chat:queued");
    const sb = createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: "silent" }) });
    await sb.listen(port, "127.0.0.1");
    try {
      const room = await joining;
      await connected(client);
      const received = new Promise((resolve) => room.on("message", (data) => resolve(data)));
      await sb.publish("chat:queued", { hello: true });
      assert.deepEqual(await received, { hello: true });
      await waitFor(() => client.queued === 0, "an empty queue");
    } finally {
      await client.close();
      await sb.close();
    }
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Broker, BrokerMessage } from "switchboard";
import { startRedisServer } from "../support/redis-server.js";
import type { PrivateRedis } from "../support/redis-server.js";
import { memoryBackends, redisBackends, waitUntil } from "./backends.js";
import type { BackendFactory } from "./backends.js";

let redis: PrivateRedis;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.stop();
});

for (const backends of [memoryBackends, redisBackends(() => redis.url), redisBackends(() => redis.url, true)]) {
  describe(`Broker contract: ${backends.name}`, () => {
    let broker: Broker;
    const received: Array<[string, BrokerMessage]> = [];

    before(async () => {
      broker = await (backends as BackendFactory).broker();
      await broker.start((topic, message) => received.push([topic, message]));
    });
    after(async () => {
      await broker.close();
    });

    it("is healthy once started", () => {
      assert.equal(broker.health().ok, true);
    });

    it("delivers every kind of message on a subscribed topic, to itself too, unchanged", async () => {
      await broker.subscribe("room:a");
      await broker.subscribe("nodes");
      const messages: Array<[string, BrokerMessage]> = [
        ["room:a", { kind: "room", room: "a", frame: '{"type":"message","room":"a","data":"x\\ny","offset":3}', offset: 3, except: "c1" }],
        ["room:a", { kind: "room", room: "a", frame: '{"type":"presence"}' }],
        ["nodes", { kind: "targets", targets: { userIds: ["u1"], all: false, except: ["c2"] }, frame: '{"type":"e","data":1}' }],
        ["nodes", { kind: "disconnect", userId: "u1", code: 4001, reason: "bye" }],
        ["nodes", { kind: "cluster", channel: "jobs", payload: { n: [1, 2] }, origin: "n1" }],
      ];
      for (const [topic, message] of messages) await broker.publish(topic, message);
      await waitUntil(() => received.length >= messages.length, "deliveries");
      assert.deepEqual(received, messages);
    });

    it("stops delivering a topic after unsubscribe", async () => {
      received.length = 0;
      await broker.unsubscribe("room:a");
      await broker.publish("room:a", { kind: "room", room: "a", frame: "{}" });
      await broker.publish("nodes", { kind: "room", room: "marker", frame: "{}" });
      await waitUntil(() => received.length >= 1, "the marker");
      assert.deepEqual(received.map(([topic]) => topic), ["nodes"]);
    });

    it("rejects publishes once closed", async () => {
      const other = await (backends as BackendFactory).broker();
      await other.start(() => undefined);
      await other.close();
      assert.equal(other.health().ok, false);
      await assert.rejects(other.publish("nodes", { kind: "room", room: "a", frame: "{}" }));
    });
  });
}

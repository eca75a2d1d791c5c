// Server-side events across nodes: a status change and a queue dashboard.
// Run the same code on every node; with the Redis backends the events cross nodes.
import { z } from "zod";
import { ClusterLifecycle, withErrorHandler, withRetry, withValidation } from "switchboard";
import type { ClusterMiddleware, RoomLifecyclePayload, Switchboard } from "switchboard";

const StatusChange = z.object({ userId: z.string(), status: z.enum(["online", "away", "offline"]) });
const QueueJob = z.object({ id: z.string(), queue: z.string(), error: z.string().optional() });

const timings = new WeakMap<object, number>();

/** Logs how long each run took; `before` returning nothing lets the handler run. */
const timing: ClusterMiddleware = {
  name: "timing",
  before: (event) => {
    timings.set(event, performance.now());
  },
  after: (event) => {
    event.logger.debug({ ms: performance.now() - (timings.get(event) ?? 0) }, "cluster handler done");
  },
};

export function installClusterEvents(sb: Switchboard): void {
  // 1. Status change: a client sets its status on whichever node it is connected to...
  sb.handle("status:set", z.object({ status: StatusChange.shape.status }), async (ctx, data) => {
    await sb.cluster.emit("user.status-changed", { userId: ctx.userId ?? ctx.connectionId, status: data.status });
    return { ok: true };
  });

  // ...and every node tells its own watchers (each node runs this subscriber once per event).
  sb.cluster.on(
    { channel: "user.status-changed", name: "statusFanout", middleware: [timing] },
    withValidation(StatusChange, (event) => event.localBroadcast.to("status-watchers").emit("status", event.payload)),
  );

  // 2. Queue dashboard: a worker on any node reports jobs with `sb.cluster.emit("queue.job.completed", job)`.
  // Each node forwards them to its dashboard clients, retrying a flaky step and logging what still fails.
  sb.cluster.on(
    { name: "queueDashboard", channels: ["queue.job.completed", "queue.job.failed"], priority: 20 },
    withErrorHandler(
      withRetry(
        withValidation(QueueJob, (event) =>
          event.localBroadcast.to("dashboard").emit("queue", {
            action: event.channel === "queue.job.completed" ? "done" : "errored",
            job: event.payload,
            node: event.origin,
          }),
        ),
        { retries: 2, delayMs: 50 },
      ),
      (error, event) => event.logger.warn({ err: error }, "queue dashboard update lost"),
    ),
  );

  // 3. Lifecycle events (with `cluster: { lifecycleEvents: true }` on every node): who joined the dashboard, on which node.
  sb.cluster.on({ channels: [ClusterLifecycle.roomJoined, ClusterLifecycle.roomLeft], name: "dashboardAudience" }, (event) => {
    const { room, node, userId } = event.payload as RoomLifecyclePayload;
    if (room !== "dashboard") return;
    return event.localBroadcast.to("dashboard").emit("audience", { userId, node, joined: event.channel === ClusterLifecycle.roomJoined });
  });
}

import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Switchboard } from "../server/switchboard.js";
import type { SwitchboardMetrics } from "../observability/metrics.js";
import type { NodeStatsExchange } from "../observability/node-stats-exchange.js";
import { readPresencePaging } from "../server/commands.js";
import { broadcastBody, disconnectBody, historyQuery, parseWith, publishBody } from "./request-bodies.js";
import type { ApiStats, NodeStats, RoomCount } from "../protocol/stats.js";
import { toHistoryReply } from "../history/history-reply.js";
import type { StatsSampler } from "../observability/stats-sampler.js";

export interface ApiRouteDeps {
  sb: Switchboard;
  metrics: SwitchboardMetrics;
  sampler: StatsSampler;
  exchange: NodeStatsExchange;
  /** Open /api/stats/stream responses, ended when the API closes so the HTTP server can close. */
  streams: Set<ServerResponse>;
}

/** The /api/* routes; the caller registers them behind the API-key check. */
export function registerApiRoutes(app: FastifyInstance, deps: ApiRouteDeps): void {
  const { sb } = deps;

  app.post("/api/publish", async (request) => {
    const body = parseWith(publishBody, request.body, "publish request");
    const result = await sb.publish(body.room, body.data, body.type === undefined ? {} : { event: body.type });
    return { offset: result.offset ?? null, epoch: result.epoch ?? null };
  });

  app.post("/api/broadcast", async (request) => {
    const body = parseWith(broadcastBody, request.body, "broadcast request");
    const targets = body.all === true ? { all: true } : { rooms: body.rooms ?? [], userIds: body.userIds ?? [], connectionIds: body.connectionIds ?? [] };
    await sb.emitToTargets(targets, body.type, body.data ?? null, undefined);
    return { ok: true };
  });

  app.post("/api/disconnect", async (request) => {
    const body = parseWith(disconnectBody, request.body, "disconnect request");
    await sb.disconnect(body);
    return { ok: true };
  });

  app.get("/api/stats", async () => statsOf(deps));

  app.get("/api/stats/stream", (_request, reply) => streamStats(deps, reply));

  app.get("/api/rooms", async () => {
    const counts = new Map<string, number>();
    for (const report of deps.exchange.nodes()) for (const { room, connections } of report.rooms) counts.set(room, (counts.get(room) ?? 0) + connections);
    const rooms = [...counts].map(([room, connections]): RoomCount => ({ room, connections })).sort((a, b) => b.connections - a.connections || a.room.localeCompare(b.room));
    return { rooms };
  });

  app.get<{ Params: { room: string }; Querystring: Record<string, string> }>("/api/rooms/:room/presence", async (request) => {
    const room = request.params.room;
    const { cursor, limit } = request.query;
    // With limit or cursor: one page of connections; without: every member grouped by user (the original shape).
    if (cursor === undefined && limit === undefined) return { room, members: await sb.presence(room) };
    const paging = readPresencePaging(cursor, limit === undefined ? undefined : /^\d{1,7}$/.test(limit) ? Number(limit) : limit);
    return { room, ...(await sb.presencePage(room, paging)) };
  });

  app.get<{ Params: { room: string }; Querystring: Record<string, string> }>("/api/rooms/:room/history", async (request) => {
    const room = request.params.room;
    const query = parseWith(historyQuery, request.query, "history query");
    const since = query.offset === undefined || query.epoch === undefined ? undefined : { offset: query.offset, epoch: query.epoch };
    const page = await sb.history(room, query.limit, since);
    // The same shape as the `history` command's reply.
    return { room, ...toHistoryReply(page) };
  });
}

function statsOf({ sb, metrics, sampler, exchange }: ApiRouteDeps): ApiStats {
  const reports = exchange.nodes();
  const nodes = reports.map((report) => report.stats);
  const sum = (pick: (stats: NodeStats) => number): number => nodes.reduce((total, stats) => total + pick(stats), 0);
  return {
    node: sb.node,
    nodes,
    totals: {
      connections: sum((stats) => stats.connections),
      // A user connected to two nodes counts on both: exact distinct counts would need a shared set per user.
      users: sum((stats) => stats.users),
      rooms: new Set(reports.flatMap((report) => report.rooms.map(({ room }) => room))).size,
      framesInPerSecond: sum((stats) => stats.framesInPerSecond),
      framesOutPerSecond: sum((stats) => stats.framesOutPerSecond),
    },
    latencyMs: metrics.latency.percentiles(),
    disconnectsByCode: Object.fromEntries([...metrics.disconnectsByCode].map(([code, count]) => [String(code), count])),
    refusals: Object.fromEntries(metrics.refusals),
    series: sampler.series(),
  };
}

/** Server-Sent Events: the /api/stats figures after every sample, until the client goes away. */
function streamStats(deps: ApiRouteDeps, reply: FastifyReply): void {
  const raw = reply.raw;
  reply.hijack();
  // The headers already set on the reply (CORS) go out with the hijacked response.
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) raw.setHeader(name, value);
  raw.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" });
  const send = (): void => {
    raw.write(`event: stats\ndata: ${JSON.stringify(statsOf(deps))}\n\n`);
  };
  send();
  const stop = deps.sampler.onSample(send);
  deps.streams.add(raw);
  raw.on("close", () => {
    stop();
    deps.streams.delete(raw);
  });
}

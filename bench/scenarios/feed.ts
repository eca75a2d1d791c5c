import { readFileSync } from "node:fs";
import pg from "pg";
import WebSocket from "ws";
import { startPostgres } from "../../test/support/pg-cluster.js";
import { startServerProcess } from "../../test/support/process.js";
import type { ServerProcess } from "../../test/support/process.js";
import { round } from "../harness.js";
import { percentiles } from "../stats.js";
import type { Figures, ScenarioContext } from "./types.js";

/**
 * Commit-to-delivery latency of the PostgreSQL change feed in each mode: a
 * private PostgreSQL cluster (wal_level = logical), one `switchboard start`
 * node reading it, writers committing `perSecond` single-row transactions
 * spread over `rooms` rooms, and one WebSocket client in every room. Each row
 * carries the time just before its INSERT was sent (this process's clock, the
 * same one that stamps its arrival), so a sample is commit + feed + delivery.
 */
export const FEED_MODES = ["notify", "outbox", "logical"] as const;
export type FeedMode = (typeof FEED_MODES)[number];

const SQL = (name: string): string => readFileSync(new URL(`../../src/integrations/sql/${name}`, import.meta.url), "utf8");
const WRITERS = 4;
const now = (): number => performance.timeOrigin + performance.now();

export async function feed(context: ScenarioContext, mode: FeedMode): Promise<Figures> {
  const { perSecond, durationMs, rooms } = context.sizes.feed;
  const postgres = await startPostgres();
  let server: ServerProcess | undefined;
  const writers: pg.Client[] = [];
  let socket: WebSocket | undefined;
  try {
    const url = await postgres.createDatabase("bench");
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    writers.push(admin);
    await admin.query("CREATE TABLE bench_changes (id bigserial PRIMARY KEY, room_id int NOT NULL, sent_at double precision NOT NULL, payload text NOT NULL)");
    if (mode === "notify") {
      await admin.query(SQL("switchboard-notify.sql"));
      await admin.query("CREATE TRIGGER bench_changes_sb AFTER INSERT ON bench_changes FOR EACH ROW EXECUTE FUNCTION switchboard_notify('bench_changes', 'id,room_id')");
    } else if (mode === "outbox") {
      await admin.query(SQL("switchboard-outbox.sql"));
      await admin.query("SELECT switchboard_outbox_track('bench_changes')");
    }
    context.progress("starting the node");
    const mapping = mode === "notify" ? { channel: "bench_changes", room: "bench:{room_id}", event: "change" } : { table: "bench_changes", room: "bench:{room_id}", event: "change" };
    server = await startServerProcess({
      SWITCHBOARD_AUTH: "anonymous",
      SWITCHBOARD_LOG_LEVEL: "info",
      SWITCHBOARD_WEB: "off",
      SWITCHBOARD_PG_URL: url,
      SWITCHBOARD_PG_FEED_MODE: mode,
      SWITCHBOARD_PG_FEEDS: JSON.stringify([mapping]),
      SWITCHBOARD_PG_LEADER_POLL_MS: "100",
    });
    const node = server;
    await waitFor(async () => /^(listening|reading|streaming)/.test(await feedDetail(node.port)), "the feed to read", 30_000);

    // One client in every room; samples by row id, so a duplicate is seen as one.
    const samples: number[] = [];
    const seen = new Set<number>();
    let duplicates = 0;
    const ws = new WebSocket(server.url);
    socket = ws;
    let joined = 0;
    ws.on("message", (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; id?: number; data?: { new?: { id: number | string; sent_at: number } } };
      if (frame.type === "reply") joined++;
      if (frame.type !== "message" || frame.data?.new === undefined) return;
      const arrived = now();
      const id = Number(frame.data.new.id);
      if (seen.has(id)) {
        duplicates++;
        return;
      }
      seen.add(id);
      samples.push(arrived - Number(frame.data.new.sent_at));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    for (let room = 0; room < rooms; room++) ws.send(JSON.stringify({ type: "join", room: `bench:${room}`, id: room + 1 }));
    await waitFor(() => joined === rooms, "the client to join every room", 10_000);

    for (let index = 1; index < WRITERS; index++) {
      const writer = new pg.Client({ connectionString: url });
      await writer.connect();
      writers.push(writer);
    }
    const total = Math.max(1, Math.round((perSecond * durationMs) / 1000));
    const interval = 1000 / perSecond;
    const payload = "x".repeat(100);
    context.progress(`committing ${total} changes at ${perSecond}/s`);
    const start = performance.now();
    await Promise.all(
      writers.map(async (writer, w) => {
        // Change k is due at start + k × interval; writer w commits every WRITERS-th change.
        for (let k = w; k < total; k += WRITERS) {
          const wait = start + k * interval - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await writer.query("INSERT INTO bench_changes (room_id, sent_at, payload) VALUES ($1, $2, $3)", [k % rooms, now(), payload]);
        }
      }),
    );
    const committedPerSecond = total / ((performance.now() - start) / 1000);
    await waitFor(() => seen.size >= total, "every change to arrive", 15_000).catch(() => undefined);
    const { p50, p99, max } = percentiles(samples);
    const sorted = Float64Array.from(samples).sort();
    const p95 = sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
    return {
      p50Ms: round(p50, 2),
      p95Ms: round(p95, 2),
      p99Ms: round(p99, 2),
      maxMs: round(max, 2),
      committedPerSecond: round(committedPerSecond),
      delivered: seen.size,
      lost: total - seen.size,
      duplicates,
    };
  } finally {
    socket?.close();
    await Promise.all(writers.map((writer) => writer.end().catch(() => undefined)));
    await server?.stop("SIGTERM");
    await postgres.stop();
  }
}

async function feedDetail(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
  const report = (await response?.json().catch(() => undefined)) as { checks?: Record<string, { detail?: string }> } | undefined;
  return report?.checks?.["postgres-change-feed"]?.detail ?? "";
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

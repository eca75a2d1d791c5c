import { useState } from "preact/hooks";
import type { Api } from "./api.ts";
import { CountsTable } from "./counts-table.tsx";
import { FramesChart } from "./frames-chart.tsx";
import { NodesTable } from "./nodes-table.tsx";
import { RoomDetail } from "./room-detail.tsx";
import { RoomsList } from "./rooms-list.tsx";
import { closeCodeLabel, closeCodeMeaning } from "../shared/close-codes.ts";
import { useStats } from "./use-stats.ts";
import type { ApiStats } from "./types.ts";

const STATUS_TEXT = { connecting: "connecting to the live stream…", live: "live", retrying: "stream lost, retrying…", unauthorized: "the key was refused" } as const;

function Tile({ label, value, testId }: { label: string; value: string | number; testId: string }) {
  return (
    <div class="tile">
      <div class="value" data-testid={testId}>{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
}

function Latency({ latency }: { latency: ApiStats["latencyMs"] }) {
  return (
    <section class="panel" aria-labelledby="latency-title">
      <h2 id="latency-title">Delivery latency</h2>
      <p class="small muted">Publish to socket write, recent window ({latency.count} deliveries).</p>
      <div class="tiles" style="margin:0">
        <Tile label="p50" value={ms(latency.p50)} testId="latency-p50" />
        <Tile label="p90" value={ms(latency.p90)} testId="latency-p90" />
        <Tile label="p99" value={ms(latency.p99)} testId="latency-p99" />
        <Tile label="max" value={ms(latency.max)} testId="latency-max" />
      </div>
    </section>
  );
}

/** The live operations view: everything on it comes from /api/stats/stream and /api/rooms. */
export function Dashboard({ api, onSignOut }: { api: Api; onSignOut: () => void }) {
  const { stats, status, error } = useStats(api);
  const [room, setRoom] = useState<string | null>(null);

  return (
    <>
      <header class="top">
        <h1>Switchboard dashboard</h1>
        <div class="row" style="align-items:center">
          <span class="small" data-testid="stream-status" data-status={status} role="status">
            {STATUS_TEXT[status]}
            {error !== null && status !== "live" && <span class="muted"> ({error})</span>}
          </span>
          <a href="/">Demo app</a>
          <button type="button" class="secondary" onClick={onSignOut}>Sign out</button>
        </div>
      </header>
      <main>
        {status === "unauthorized" && (
          <p class="panel error" role="alert">
            The server refused this key. <button type="button" class="secondary" onClick={onSignOut}>Sign in again</button>
          </p>
        )}
        {stats === null ? (
          <p class="muted">Loading…</p>
        ) : (
          <>
            <div class="tiles" aria-label="Totals">
              <Tile label="nodes" value={stats.nodes.length} testId="total-nodes" />
              <Tile label="connections" value={stats.totals.connections} testId="total-connections" />
              <Tile label="users" value={stats.totals.users} testId="total-users" />
              <Tile label="rooms" value={stats.totals.rooms} testId="total-rooms" />
              <Tile label="frames in/s" value={stats.totals.framesInPerSecond.toFixed(1)} testId="total-frames-in" />
              <Tile label="frames out/s" value={stats.totals.framesOutPerSecond.toFixed(1)} testId="total-frames-out" />
            </div>
            <section class="panel" aria-labelledby="chart-title">
              <h2 id="chart-title">Traffic</h2>
              <FramesChart series={stats.series} />
            </section>
            <div class="grid2">
              <Latency latency={stats.latencyMs} />
              <CountsTable title="Disconnects by close code" testId="disconnects" counts={stats.disconnectsByCode} label={closeCodeLabel} describe={closeCodeMeaning} empty="No disconnects yet." />
              <CountsTable title="Refusals" testId="refusals" counts={stats.refusals} label={(reason) => reason.replace(/_/g, " ")} empty="Nothing refused: no rate limits hit, no slow consumers." />
              <NodesTable nodes={stats.nodes} current={stats.node} />
            </div>
          </>
        )}
        <div class="grid2">
          <RoomsList api={api} selected={room} onSelect={setRoom} />
          {room !== null && <RoomDetail key={room} api={api} room={room} onClose={() => setRoom(null)} />}
        </div>
      </main>
    </>
  );
}

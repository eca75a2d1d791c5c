import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { StatsSample } from "./types.ts";

const WINDOW_SECONDS = 300;

/** Frames in/out per second over the server's series window (this node, one point a second). */
export function FramesChart({ series }: { series: readonly StatsSample[] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 220,
      // A fixed five-minute window, so the chart reads the same from the first second on.
      scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_SECONDS, max] }, y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
      axes: [{ stroke: "currentColor", grid: { stroke: "rgba(128,128,128,0.2)" } }, { stroke: "currentColor", grid: { stroke: "rgba(128,128,128,0.2)" }, size: 56 }],
      series: [
        {},
        { label: "frames in/s", stroke: "#1f6feb", width: 2, value: (_u, v) => (v === null ? "–" : v.toFixed(1)) },
        { label: "frames out/s", stroke: "#d4770c", width: 2, value: (_u, v) => (v === null ? "–" : v.toFixed(1)) },
      ],
    };
    plot.current = new uPlot(options, [[], [], []], element);
    // Follow the panel's width (phone rotation, window resize).
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([series.map((point) => point.t / 1000), series.map((point) => point.framesInPerSecond), series.map((point) => point.framesOutPerSecond)]);
  }, [series]);

  const last = series[series.length - 1];
  return (
    <figure style="margin:0">
      <div class="chart" ref={host} data-testid="frames-chart" data-points={series.length} data-last-in={last?.framesInPerSecond ?? 0} data-last-out={last?.framesOutPerSecond ?? 0} />
      <figcaption class="small muted">
        Frames per second on this node over the last {WINDOW_SECONDS / 60} minutes
        {last !== undefined && ` — now ${last.framesInPerSecond.toFixed(1)} in, ${last.framesOutPerSecond.toFixed(1)} out`}.
      </figcaption>
    </figure>
  );
}

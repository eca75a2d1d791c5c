import type { Figures } from "./scenarios/types.js";
import type { BenchResult } from "./run.js";

/**
 * `--runs N`: one figure from one run says little on a shared machine (the latency
 * scenario's p50 moves by 3× from run to run of the same server), so targets are
 * run N times, interleaved (ws, switchboard, ws, switchboard, …: a quiet or a busy
 * spell falls on both), and compared by their medians.
 */
export function medianFigures(runs: readonly BenchResult[]): Record<string, Record<string, Figures>> {
  const merged: Record<string, Record<string, Figures>> = {};
  const first = runs[0];
  if (first === undefined) return merged;
  for (const [scenario, byTarget] of Object.entries(first.results)) {
    merged[scenario] = {};
    for (const [column, figures] of Object.entries(byTarget)) {
      const median: Figures = {};
      for (const [key, value] of Object.entries(figures)) {
        if (typeof value !== "number") {
          median[key] = value;
          continue;
        }
        const values = runs.map((run) => run.results[scenario]?.[column]?.[key]).filter((each): each is number => typeof each === "number" && Number.isFinite(each));
        median[key] = values.length === 0 ? Number.NaN : middle(values);
      }
      // Any run's failure is the merged column's failure: a median must not hide one.
      const errors = runs.map((run) => run.results[scenario]?.[column]?.error).filter((each): each is string => typeof each === "string");
      if (errors.length > 0) median.error = `${errors.length} of ${runs.length} runs failed: ${errors[0]}`;
      merged[scenario][column] = median;
    }
  }
  return merged;
}

/** Every run's value of one figure, in run order, per scenario and column: what the median was taken of. */
export function perRunValues(runs: readonly BenchResult[], keys: Record<string, ReadonlyArray<{ key: string; label: string }>>): string {
  const lines: string[] = [];
  const first = runs[0];
  if (first === undefined) return "";
  for (const [scenario, byTarget] of Object.entries(first.results)) {
    lines.push(`### ${scenario}: each of ${runs.length} runs`, "", `| figure | ${Object.keys(byTarget).join(" | ")} |`, `|---|${Object.keys(byTarget).map(() => "---").join("|")}|`);
    for (const { key, label } of keys[scenario] ?? []) {
      const cells = Object.keys(byTarget).map((column) => runs.map((run) => formatValue(run.results[scenario]?.[column]?.[key])).join(" · "));
      lines.push(`| ${label} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
  return Math.round(value * 100) / 100;
}

function formatValue(value: number | boolean | string | undefined): string {
  return typeof value === "number" ? (Number.isFinite(value) ? String(value) : "n/a") : value === undefined ? "—" : String(value);
}

import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api.ts";
import type { Api } from "./api.ts";
import { readSse } from "./sse.ts";
import type { ApiStats } from "./types.ts";

export type StreamStatus = "connecting" | "live" | "retrying" | "unauthorized";

const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

/**
 * Live stats: one GET /api/stats for a first paint, then the /api/stats/stream
 * events; reopens the stream with a backoff when it drops.
 */
export function useStats(api: Api): { stats: ApiStats | null; status: StreamStatus; error: string | null } {
  const [stats, setStats] = useState<ApiStats | null>(null);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        if (failures === 0) setStats(await api.get<ApiStats>("/api/stats", controller.signal));
        const body = await api.stream("/api/stats/stream", controller.signal);
        setStatus("live");
        setError(null);
        await readSse(body, (event) => {
          if (event.event !== "stats") return;
          failures = 0;
          setStats(JSON.parse(event.data) as ApiStats);
        });
        throw new Error("the stats stream ended");
      } catch (failure) {
        if (controller.signal.aborted) return;
        if (failure instanceof ApiError && failure.status === 401) {
          setStatus("unauthorized");
          setError(failure.message);
          return;
        }
        setStatus("retrying");
        setError(failure instanceof Error ? failure.message : String(failure));
        timer = setTimeout(run, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
        failures += 1;
      }
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api]);

  return { stats, status, error };
}

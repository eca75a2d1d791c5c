import { useEffect } from "preact/hooks";
import type { Inputs } from "preact/hooks";

/**
 * Runs `load` at once and again `intervalMs` after each run settles, until the
 * inputs change or the component unmounts (which aborts the request in flight).
 * A failed run reports its message through `setError`; a good one clears it.
 */
export function usePolling(load: (signal: AbortSignal) => Promise<void>, setError: (message: string | null) => void, intervalMs: number, inputs: Inputs): void {
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      try {
        await load(controller.signal);
        setError(null);
      } catch (failure) {
        if (!controller.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure));
      }
      if (!controller.signal.aborted) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // The caller's inputs decide when polling restarts, as with useEffect itself.
  }, inputs);
}

import { readdirSync, readFileSync } from "node:fs";

/** pid → [parent pid, state] for every live process, from /proc (Linux). */
function table(): Map<number, { ppid: number; state: string }> {
  const rows = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces: fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      rows.set(Number(entry), { state: fields[0] ?? "", ppid: Number(fields[1]) });
    } catch {
      // Exited while being read.
    }
  }
  return rows;
}

/** Every process below `root` (children, their children, …), now. */
export function descendants(root: number): number[] {
  const rows = table();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, row] of rows) {
      if (row.ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Still running: present and not a zombie (an exited process whose parent has not reaped it yet). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Resolves once none of `pids` runs; rejects naming the survivors after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(isRunning);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: ${left.map((pid) => `${pid} (${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()})`).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs whatever of `pids` still runs (cleanup after a failed test). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (isRunning(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

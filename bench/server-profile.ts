import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "node:inspector/promises";

/**
 * CPU profiles of the server under test, opt in with SWITCHBOARD_BENCH_CPU_PROFILE=<folder>.
 * Scenarios read the server's CPU time just before and just after the phase they measure, so
 * each read ends the running profile (written as <target>-<pid>-<n>.cpuprofile, for Chrome DevTools
 * or speedscope) and starts the next: a profile holds exactly one measured phase, not the
 * connecting before it. `node --cpu-prof` cannot do this: it writes at exit, and the bench
 * ends its servers with SIGKILL.
 */
export class ServerProfiles {
  private session: Session | undefined;
  private written = 0;

  constructor(private readonly folder: string | undefined) {}

  /** Writes the phase that just ended, if one was being profiled, and starts the next. */
  async mark(target: string): Promise<void> {
    if (this.folder === undefined) return;
    if (this.session === undefined) {
      this.session = new Session();
      this.session.connect();
      await this.session.post("Profiler.enable");
    } else {
      const { profile } = await this.session.post("Profiler.stop");
      mkdirSync(this.folder, { recursive: true });
      // The pid tells apart the workers of one run (the large join storm starts seven).
      writeFileSync(join(this.folder, `${target}-${process.pid}-${++this.written}.cpuprofile`), JSON.stringify(profile));
    }
    await this.session.post("Profiler.start");
  }
}

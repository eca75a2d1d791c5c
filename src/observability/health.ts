/** What one dependency reports. */
export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

export interface HealthCheck {
  name: string;
  /** A required dependency that is down makes /health answer 503; an optional one only shows. */
  required: boolean;
  check(): HealthCheckResult | Promise<HealthCheckResult>;
}

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  node: string;
  checks: Record<string, HealthCheckResult & { required: boolean }>;
}

/** Checks are bounded in time so that a hung dependency makes /health answer "down", not hang. */
const CHECK_TIMEOUT_MS = 2_000;

/** The dependencies /health reports on: the broker and stores, plus anything registered later (integrations). */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(private readonly node: string) {}

  add(check: HealthCheck): this {
    this.checks.set(check.name, check);
    return this;
  }

  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks.values()].map(async (check) => [check.name, { ...(await runCheck(check)), required: check.required }] as const),
    );
    const checks = Object.fromEntries(entries);
    const down = entries.some(([, result]) => !result.ok && result.required);
    const degraded = entries.some(([, result]) => !result.ok);
    return { status: down ? "down" : degraded ? "degraded" : "ok", node: this.node, checks };
  }
}

async function runCheck(check: HealthCheck): Promise<HealthCheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<HealthCheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
    });
    return await Promise.race([Promise.resolve(check.check()), timeout]);
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

import { parseArgs } from "node:util";
import { ConfigError, loadServerConfig } from "../config/server-config.js";
import cluster from "node:cluster";
import { closeOnSignals, startServer } from "./start.js";
import { startWorkers } from "./workers.js";
import { bench } from "./bench.js";

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start        Start the Switchboard server (settings from SWITCHBOARD_* variables or --config)
  bench        Load a running server: fan-out and latency (see docs/performance.md)

Run "switchboard <command> --help" for a command's options.`;

const START_USAGE = `Usage: switchboard start [--config path.json] [--port N] [--workers N]

Starts Switchboard. Settings come from a JSON config file (--config or
SWITCHBOARD_CONFIG) overridden by environment variables; see docs/server.md.
--workers N (or SWITCHBOARD_WORKERS) runs N processes on one port, coordinated
through Redis (REDIS_URL is required); see docs/scaling.md.`;

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: "string" }, port: { type: "string" }, workers: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help === true) {
    console.log(START_USAGE);
    return;
  }
  const env = { ...process.env };
  if (values.port !== undefined) env.SWITCHBOARD_PORT = values.port;
  if (values.workers !== undefined) env.SWITCHBOARD_WORKERS = values.workers;
  const config = loadServerConfig(env, values.config ?? env.SWITCHBOARD_CONFIG);
  if (cluster.isPrimary && config.workers > 1) return startWorkers(config, config.workers);
  const running = await startServer(config);
  closeOnSignals(running);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      return start(rest);
    case "bench":
      return bench(rest);
    case undefined:
    case "--help":
    case "-h":
    case "help":
      console.log(USAGE);
      return;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || (error instanceof Error && (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

import { parseArgs } from "node:util";
import { ConfigError, loadServerConfig } from "../config/server-config.js";
import cluster from "node:cluster";
import { closeOnSignals, startServer } from "./start.js";
import { startWorkers } from "./workers.js";
import { watchLauncher } from "./launcher-watch.js";
import { developmentApiKey } from "./dev-api-key.js";
import { prettyLogs } from "../log/log-format.js";
import { bench } from "./bench.js";
import { publishFromCli } from "./publish.js";
import { CliUsageError, mintCliToken } from "./token.js";

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start        Start the Switchboard server (settings from SWITCHBOARD_* variables or --config)
  bench        Load a running server: fan-out and latency (see docs/performance.md)
  token        Mint a development JWT for a user, from SWITCHBOARD_JWT_SECRET
  publish      Publish to a room through the server API

Run "switchboard <command> --help" for a command's options.`;

const START_USAGE = `Usage: switchboard start [--config switchboard.yaml] [--port N] [--workers N]

Starts Switchboard. Settings come from a JSON or YAML config file (--config or
SWITCHBOARD_CONFIG) overridden by environment variables; see docs/server.md and
docs/config-file.md.
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
  try {
    prettyLogs({ env, isTTY: false });
  } catch (error) {
    // A bad SWITCHBOARD_LOG_FORMAT stops the start like any other bad setting (exit code 2).
    throw new ConfigError((error as Error).message);
  }
  // The launcher's exit reaches the server as the SIGTERM npm did not forward (see launcher-watch.ts).
  if (cluster.isPrimary) watchLauncher(() => process.kill(process.pid, "SIGTERM"));
  if (cluster.isPrimary && config.workers > 1) return startWorkers(config, config.workers);
  const devKey = developmentApiKey(config, { env, isTTY: process.stdout.isTTY === true });
  const running = await startServer(devKey === undefined ? config : { ...config, apiKeys: [devKey] });
  // The key rides in the fragment, which browsers never send to a server or proxy.
  if (devKey !== undefined) running.logger.info(`Dashboard, signed in with a key made for this run (set SWITCHBOARD_API_KEY to choose your own): ${running.apiUrl}/dashboard#key=${devKey}`);
  closeOnSignals(running);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      return start(rest);
    case "bench":
      return bench(rest);
    case "token":
    case "publish": {
      const output = await (command === "token" ? mintCliToken(rest, process.env) : publishFromCli(rest, process.env));
      if (output !== undefined) console.log(output);
      return;
    }
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
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (error instanceof ConfigError || error instanceof CliUsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"))) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  console.error(error instanceof Error && error.message.startsWith("publish:") ? error.message : error);
  process.exit(1);
});

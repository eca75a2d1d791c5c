/** Where the decision is read from: the environment and whether stdout is a terminal. */
export interface LogFormatInput {
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

/**
 * The standalone server's log format. SWITCHBOARD_LOG_FORMAT=pretty|json decides;
 * otherwise a terminal gets readable lines and anything else (a pipe, a file, a
 * log collector, NODE_ENV=production) gets JSON lines, as pino users expect.
 */
export function prettyLogs({ env, isTTY }: LogFormatInput = { env: process.env, isTTY: process.stdout.isTTY === true }): boolean {
  const format = env.SWITCHBOARD_LOG_FORMAT?.trim().toLowerCase();
  if (format === "pretty") return true;
  if (format === "json") return false;
  if (format !== undefined && format !== "") throw new TypeError(`SWITCHBOARD_LOG_FORMAT must be "pretty" or "json", not "${env.SWITCHBOARD_LOG_FORMAT}".`);
  return isTTY && env.NODE_ENV !== "production";
}

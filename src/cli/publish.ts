import { parseArgs } from "node:util";
import { CliUsageError } from "./token.js";

export const PUBLISH_USAGE = `Usage: switchboard publish <room> <json> [--type T] [--url URL] [--key KEY]

Publishes to a room through the server API (POST /api/publish), as a backend would.
<json> is the message data, e.g. '{"text":"hello"}'.
--url   the server API's base URL (default SWITCHBOARD_API_URL, else http://127.0.0.1:<SWITCHBOARD_PORT or 8080>)
--key   an API key (default SWITCHBOARD_API_KEY)
--type  an event name carried in the message frame as "event"
Prints the answer ({"offset","epoch"}); exits 1 when the server refuses.`;

/** The `publish` command: returns the API's answer; throws CliUsageError for bad flags, Error for a refusal. */
export async function publishFromCli(args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { type: { type: "string" }, url: { type: "string" }, key: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help === true) {
    console.log(PUBLISH_USAGE);
    return undefined;
  }
  const [room, text, ...extra] = positionals;
  if (room === undefined || text === undefined || extra.length > 0) throw new CliUsageError(`publish needs a room and JSON data.\n\n${PUBLISH_USAGE}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliUsageError(`publish: the data is not valid JSON: ${text}`);
  }
  const key = values.key ?? env.SWITCHBOARD_API_KEY?.split(",")[0]?.trim();
  if (key === undefined || key.length === 0) throw new CliUsageError("publish needs an API key: --key or SWITCHBOARD_API_KEY.");
  const base = values.url ?? env.SWITCHBOARD_API_URL ?? `http://127.0.0.1:${env.SWITCHBOARD_PORT ?? env.PORT ?? "8080"}`;
  let response: Response;
  try {
    response = await fetch(new URL("/api/publish", base), {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(values.type === undefined ? { room, data } : { room, data, type: values.type }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(`publish: cannot reach ${base}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const answer = await response.text();
  if (!response.ok) throw new Error(`publish: the server answered ${response.status}: ${answer}`);
  return answer;
}

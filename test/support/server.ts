import { createSwitchboard } from "switchboard";
import type { Switchboard, SwitchboardOptions } from "switchboard";
import { pino } from "pino";

export interface TestServer {
  sb: Switchboard;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts a real Switchboard on a free loopback port; logs are silent unless TEST_LOGS is set. */
export async function startTestServer(options: SwitchboardOptions = {}): Promise<TestServer> {
  const sb = createSwitchboard({ auth: { anonymous: true }, logger: pino({ level: process.env.TEST_LOGS ?? "silent" }), ...options });
  const address = await sb.listen(0, "127.0.0.1");
  return { sb, port: address.port, url: `ws://127.0.0.1:${address.port}/ws`, close: () => sb.close() };
}

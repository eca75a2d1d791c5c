import type { ProtocolName } from "../client/protocols.js";
import type { Sizes } from "../options.js";
import type { RpcClient } from "../rpc.js";
import type { ServerUnderTest } from "../harness.js";

/** One scenario's figures for one target; numbers, plus flags about the run itself. */
export type Figures = Record<string, number | boolean | string>;

/** What a scenario gets: its sizes, how many generator processes, and a progress callback. */
export interface ScenarioContext {
  sizes: Sizes;
  clientProcesses: number;
  progress(detail: string): void;
  /** When set, the scenario loads this already running server instead of starting one. */
  external?: { base: string; protocol: ProtocolName };
}

export interface Variant {
  /** Column name in the table, e.g. "switchboard (msgpack)". */
  name: string;
  protocol: ProtocolName;
  start(jwt: boolean): Promise<ServerUnderTest>;
  /** For a server started elsewhere that requires JWTs: the HS256 secret to mint the bench's tokens with. */
  clientJwtSecret?: string;
}

export type Scenario = (context: ScenarioContext, variant: Variant, clients: RpcClient[]) => Promise<Figures>;

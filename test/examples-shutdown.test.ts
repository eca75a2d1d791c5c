import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { startExpressExample } from "../examples/express.js";
import { startFastifyExample } from "../examples/fastify.js";
import { connect } from "./support/client.js";
import { freePort } from "./support/process.js";

/** Runs an example file as its own process, as `node examples/<name>.ts` would, and waits until it listens. */
async function runExample(file: string): Promise<{ port: number; exited: Promise<number | string>; kill(signal: NodeJS.Signals): void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=switchboard-source", file], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} did not start:\n${output}`));
    }, 30_000);
    const check = (): void => {
      if (!output.includes("listening on")) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${file} exited early:\n${output}`));
    });
  });
  return { port, exited, kill: (signal) => child.kill(signal) };
}

/** Exits within the deadline, or fails (and kills it) rather than hang the test run. */
async function exitCode(exited: Promise<number | string>, kill: (signal: NodeJS.Signals) => void): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      kill("SIGKILL");
      resolve("hung");
    }, 20_000);
  });
  const code = await Promise.race([exited, deadline]);
  clearTimeout(timer);
  return code;
}

describe("embedding examples shut down with clients connected", () => {
  it("fastify: app.close() resolves while a client is connected; the client gets 1001", async () => {
    const { app } = await startFastifyExample(0);
    const port = (app.server.address() as AddressInfo).port;
    const client = await connect(`ws://127.0.0.1:${port}/ws`);
    await client.ok({ type: "queue:join", data: { mode: "casual" } });
    await app.close();
    assert.equal((await client.closed).code, 1001);
  });

  it("express: close() resolves while a client is connected; the client gets 1001", async () => {
    const { close, server } = await startExpressExample(0);
    const port = (server.address() as AddressInfo).port;
    const client = await connect(`ws://127.0.0.1:${port}/ws`);
    await client.ok({ type: "join", room: "general" });
    await close();
    assert.equal((await client.closed).code, 1001);
  });

  for (const file of ["examples/fastify.ts", "examples/express.ts"]) {
    it(`${file} as a process: SIGTERM with a client connected exits 0`, async () => {
      const example = await runExample(file);
      const client = await connect(`ws://127.0.0.1:${example.port}/ws`);
      example.kill("SIGTERM");
      assert.equal((await client.closed).code, 1001);
      assert.equal(await exitCode(example.exited, example.kill), 0);
    });
  }
});

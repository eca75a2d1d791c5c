import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, startServerProcess } from "./support/process.js";

interface BenchJson {
  command: string;
  machine: { nproc: number; node: string; cpu: string };
  results: Record<string, Record<string, Record<string, unknown>>>;
}

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const FIGURES: Record<string, string[]> = {
  fanout: ["deliveredPerSecond", "serverCpuMicrosPerDelivery", "serverDeliveriesPerWrite", "burstCpuMicrosPerDelivery", "burstDeliveriesPerWrite"],
  latency: ["p50Ms", "p90Ms", "p99Ms", "maxMs", "serverCpuMicrosPerPublication"],
  idle: ["rssBytesPerConnection", "heapBytesPerConnection"],
  connect: ["connectionsPerSecond"],
  redis: ["deliveredPerSecond"],
};

const COLUMNS: Record<string, string[]> = {
  fanout: ["ws", "switchboard", "switchboard (msgpack)", "switchboard (pusher)", "socketio"],
  latency: ["ws", "switchboard", "socketio"],
  idle: ["ws", "switchboard", "socketio"],
  connect: ["ws", "switchboard", "socketio"],
  redis: ["1 node", "2 nodes"],
};

// Speed is never asserted here: only that every scenario ran for every target, completely.
describe("npm run bench -- --quick", () => {
  it("runs every scenario against every target and writes the figures as JSON, losing no message", { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
    try {
      const file = join(dir, "bench.json");
      const result = await run(["--quick", "--json", file], 290_000);
      assert.equal(result.code, 0, `bench exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /### fanout/);
      assert.match(result.stdout, /\(1\.00×\)/, "figures are printed with their ratio to the ws baseline");
      const json = JSON.parse(readFileSync(file, "utf8")) as BenchJson;
      assert.ok(json.machine.nproc >= 1 && json.machine.node.startsWith("v"));
      for (const [scenario, columns] of Object.entries(COLUMNS)) {
        for (const column of columns) {
          const figures = json.results[scenario]?.[column];
          assert.ok(figures !== undefined, `${scenario} has a ${column} column`);
          assert.equal(figures.error, undefined, `${scenario} · ${column} ran without error`);
          for (const key of FIGURES[scenario]!) assert.equal(typeof figures[key], "number", `${scenario} · ${column} has ${key}`);
          if ("lost" in figures) assert.equal(figures.lost, 0, `${scenario} · ${column} lost no message`);
          if ("burstLost" in figures) assert.equal(figures.burstLost, 0, `${scenario} · ${column} lost no message in bursts`);
          if ("generatorSaturated" in figures) assert.equal(typeof figures.generatorSaturated, "boolean");
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the join storm (opt-in) for every target, and for the large room across workers on Redis", { timeout: 200_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-storm-"));
    try {
      const file = join(dir, "storm.json");
      const result = await run(["--smoke", "--scenario", "join-storm", "--large", "--json", file], 190_000);
      assert.equal(result.code, 0, `bench exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /### join-storm/);
      const json = JSON.parse(readFileSync(file, "utf8")) as BenchJson;
      const storm = json.results["join-storm"]!;
      assert.deepEqual(Object.keys(storm).sort(), ["socketio · 20", "switchboard · 20", "switchboard · 20 (1 worker on Redis)", "switchboard · 40 (2 workers on Redis)", "ws · 20"]);
      for (const [column, figures] of Object.entries(storm)) {
        assert.equal(figures.error, undefined, `${column} ran without error`);
        assert.equal(figures.lost, 0, `${column}: the publication reached every member`);
        assert.equal(figures.fanoutLost, 0, `${column}: every publication of the fan-out reached every member`);
        for (const key of ["joinSeconds", "serverFrames", "serverBytes", "serverBytesPerMember", "serverCpuSeconds", "fanoutCpuMicrosPerDelivery", "fanoutDeliveriesPerWrite"]) assert.equal(typeof figures[key], "number", `${column} has ${key}`);
        // Every member got at least its join reply and the publication.
        assert.ok((figures.serverFrames as number) >= 2 * (figures.members as number), `${column}: frames counted`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the slow-consumers scenario (opt-in), dropping the stalled clients and losing nothing for the readers", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-slow-"));
    try {
      const file = join(dir, "slow.json");
      const result = await run(["--smoke", "--scenario", "slow-consumers", "--json", file], 110_000);
      assert.equal(result.code, 0, `bench exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /reading clients' latency per second/);
      const figures = (JSON.parse(readFileSync(file, "utf8")) as BenchJson).results["slow-consumers"]!.switchboard!;
      assert.equal(figures.error, undefined);
      assert.equal(figures.lost, 0, "every reader got every publication");
      for (const key of ["p50Ms", "p99Ms", "worstSecondP99Ms", "stalledDropped"]) assert.equal(typeof figures[key], "number", key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs the change-feed scenario (opt-in) in each mode, losing and repeating no change", { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-feed-"));
    try {
      const file = join(dir, "feed.json");
      const result = await run(["--smoke", "--scenario", "feed", "--json", file], 140_000);
      assert.equal(result.code, 0, `bench exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /### feed/);
      const feed = (JSON.parse(readFileSync(file, "utf8")) as BenchJson).results.feed!;
      assert.deepEqual(Object.keys(feed), ["notify", "outbox", "logical"]);
      for (const [mode, figures] of Object.entries(feed)) {
        assert.equal(figures.error, undefined, `${mode} ran without error`);
        assert.deepEqual([figures.lost, figures.duplicates], [0, 0], `${mode}: every change once`);
        for (const key of ["p50Ms", "p95Ms", "p99Ms", "committedPerSecond"]) assert.equal(typeof figures[key], "number", `${mode} has ${key}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--runs 3 runs the latency scenario three times per target and reports each figure's median of the three", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-runs-"));
    try {
      const file = join(dir, "runs.json");
      const result = await run(["--smoke", "--scenario", "latency", "--target", "ws", "--target", "switchboard", "--runs", "3", "--json", file], 110_000);
      assert.equal(result.code, 0, `bench exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /run 3 of 3/);
      assert.match(result.stdout, /## Medians of 3 runs/);
      const json = JSON.parse(readFileSync(file, "utf8")) as { runs: BenchJson[]; medians: BenchJson["results"] };
      assert.equal(json.runs.length, 3);
      for (const column of ["ws", "switchboard"]) {
        const values = json.runs.map((each) => each.results.latency![column]!.p50Ms as number).sort((a, b) => a - b);
        assert.equal(json.medians.latency![column]!.p50Ms, values[1], `${column}: the median of the three runs' p50`);
        assert.equal(json.medians.latency![column]!.lost, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown scenario with the usage", async () => {
    const result = await run(["--scenario", "nope"], 30_000);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown scenario "nope"/);
  });

  it("switchboard bench loads an already running server (fan-out in both encodings, latency)", { timeout: 120_000 }, async () => {
    const server = await startServerProcess({ SWITCHBOARD_IP_CONNECTIONS_PER_SECOND: "0", SWITCHBOARD_RATE_LIMIT_PER_SECOND: "0", SWITCHBOARD_JOINS_PER_MINUTE: "0" });
    const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
    try {
      const file = join(dir, "bench.json");
      const result = await runCli(["bench", "--url", server.url, "--smoke", "--json", file], {}, 100_000);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const json = JSON.parse(readFileSync(file, "utf8")) as BenchJson;
      assert.deepEqual(Object.keys(json.results).sort(), ["fanout", "latency"]);
      assert.deepEqual(Object.keys(json.results.fanout!).sort(), ["switchboard", "switchboard (msgpack)"]);
      for (const figures of [json.results.fanout!.switchboard!, json.results.fanout!["switchboard (msgpack)"]!, json.results.latency!.switchboard!]) {
        assert.equal(figures.error, undefined);
        assert.equal(figures.lost, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.stop("SIGKILL");
    }
  });
});

import assert from "node:assert/strict";
import { connect as connectSdk } from "switchboard/client";
import type { Room, SwitchboardClient } from "switchboard/client";
import { connect } from "./client.js";
import type { TestClient } from "./client.js";
import type { TestServer } from "./server.js";
import { waitFor } from "./wait.js";

/** Long enough that the whole scenario fits in one coalescing window, even on a busy machine. */
export const RACE_INTERVAL_MS = 2_000;

/** Which node each party of the scenario is on (indexes into the nodes). */
export interface RaceLayout {
  /** Opens the first window with its join, leaves, then rejoins with new meta. */
  flapper: number;
  /** An SDK client that joined before the race. */
  observer: number;
  /** Joins and leaves around the late joiner's reply. */
  flicker: number;
  /** The SDK client whose join reply is built between the flicker's join and its leave. */
  joiner: number;
  /** Joins last, in the flicker's window: once every client lists it, the flicker's leave has been applied (or cancelled out). */
  marker: number;
}

interface Row {
  connectionId: string;
  userId: string | null;
  meta?: Record<string, unknown>;
}

function rows(entries: readonly Row[] | undefined): string {
  if (entries === undefined) return "no list";
  const sorted = entries.map(({ connectionId, userId, meta }) => ({ connectionId, userId, ...(meta === undefined ? {} : { meta }) }));
  sorted.sort((a, b) => a.connectionId.localeCompare(b.connectionId));
  return JSON.stringify(sorted);
}

function lists(room: Room, connectionId: string, meta?: Record<string, unknown>): boolean {
  const entry = room.presenceConnections?.find((candidate) => candidate.connectionId === connectionId);
  return entry !== undefined && (meta === undefined || JSON.stringify(entry.meta) === JSON.stringify(meta));
}

/**
 * A join reply whose snapshot was read while another connection had joined and not
 * yet left, with that join and leave (and a leave then rejoin) inside one coalescing
 * window: the order of the operations, each awaited, makes the race, not timing.
 * Ends with every SDK client's list equal to the store's, entry for entry.
 */
export async function raceJoinReplyAgainstFlicker(nodes: TestServer[], layout: RaceLayout, room: string): Promise<void> {
  const raw: TestClient[] = [];
  const sdks: SwitchboardClient[] = [];
  const rawOn = async (node: number): Promise<TestClient> => {
    const client = await connect(nodes[node]!.url);
    raw.push(client);
    return client;
  };
  const sdkOn = async (node: number): Promise<SwitchboardClient> => {
    const client = connectSdk(nodes[node]!.url, { reconnect: false });
    sdks.push(client);
    await waitFor(() => client.welcome !== undefined, "the SDK's welcome", 5_000);
    return client;
  };
  try {
    const [flapper, flicker, marker, observerClient, joinerClient] = await Promise.all([
      rawOn(layout.flapper),
      rawOn(layout.flicker),
      rawOn(layout.marker),
      sdkOn(layout.observer),
      sdkOn(layout.joiner),
    ]);
    const started = Date.now();
    // The room is quiet: this join goes out at once and opens a window of RACE_INTERVAL_MS.
    await flapper.ok({ type: "join", room, meta: { v: 1 } });
    const observer = await observerClient.join(room);
    assert.ok(lists(observer, flapper.connectionId), "the observer's snapshot lists the flapper");
    await flicker.ok({ type: "join", room });
    await flapper.ok({ type: "leave", room });
    const joiner = await joinerClient.join(room);
    // The race itself: the joiner's snapshot was read after the flicker's join and the flapper's leave.
    assert.ok(lists(joiner, flicker.connectionId), "the joiner's snapshot lists the flicker");
    assert.ok(!lists(joiner, flapper.connectionId), "the joiner's snapshot does not list the flapper");
    const joinerEvents: string[] = [];
    const observerEvents: string[] = [];
    joiner.on("presence", (event) => joinerEvents.push(`${event.event} ${event.connectionId}`));
    observer.on("presence", (event) => observerEvents.push(`${event.event} ${event.connectionId}`));
    await flicker.ok({ type: "leave", room });
    await flapper.ok({ type: "join", room, meta: { v: 2 } });
    await marker.ok({ type: "join", room });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < RACE_INTERVAL_MS, `the scenario took ${elapsed} ms, longer than the window it must fit in`);

    const clients = [
      ["observer", observer],
      ["joiner", joiner],
    ] as const;
    // The marker and the flapper's rejoin are in the last windows of the race: once they are applied, so is the rest.
    await waitFor(
      () => clients.every(([, client]) => lists(client, marker.connectionId) && lists(client, flapper.connectionId, { v: 2 })),
      "every client to apply the last diffs of the race",
      RACE_INTERVAL_MS * 3 + 5_000,
    );
    const store = (await nodes[0]!.sb.presencePage(room, { limit: 100 })).entries;
    assert.equal(store.length, 4, "the store: observer, joiner, flapper, marker");
    for (const [name, client] of clients) assert.equal(rows(client.presenceConnections), rows(store), `${name}'s list equals the store`);
    assert.equal(joiner.presenceCount, store.length);
    assert.ok(joinerEvents.includes(`leave ${flicker.connectionId}`), `the joiner hears the flicker leave: ${joinerEvents.join(", ")}`);
    assert.ok(joinerEvents.includes(`join ${flapper.connectionId}`), "the flapper is new to the joiner");
    // The observer's snapshot came before the flicker joined: its leave names a connection the observer never listed.
    assert.ok(!observerEvents.some((event) => event.endsWith(` ${flicker.connectionId}`)), `no event for a connection never listed: ${observerEvents.join(", ")}`);
    assert.ok(observerEvents.includes(`update ${flapper.connectionId}`), "the flapper's rejoin is an update of the observer's list");
  } finally {
    await Promise.all([...raw.map((client) => client.close()), ...sdks.map((client) => client.close())]);
  }
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PresenceView } from "../../src/client/presence-view.js";
import { PresenceDiffBuilder } from "../../src/presence/presence-diff.js";

describe("coalescing presence changes into a diff", () => {
  it("keeps the net change of each connection over the window", () => {
    const diff = new PresenceDiffBuilder();
    diff.add({ kind: "join", connectionId: "a", userId: "ann" });
    diff.add({ kind: "leave", connectionId: "a", userId: "ann" }); // joined and left: a leave, for whoever listed it meanwhile
    diff.add({ kind: "leave", connectionId: "b", userId: "bob" });
    diff.add({ kind: "join", connectionId: "b", userId: "bob" }); // left and rejoined: an update
    diff.add({ kind: "update", connectionId: "c", userId: null, meta: { typing: true } });
    diff.add({ kind: "update", connectionId: "c", userId: null }); // the last update wins: meta cleared
    diff.add({ kind: "join", connectionId: "d", userId: "dan" });
    diff.add({ kind: "update", connectionId: "d", userId: "dan", meta: { status: "away" } }); // a join with its meta
    diff.add({ kind: "leave", connectionId: "e", userId: "eve" });
    assert.deepEqual(diff.build(), {
      joined: [{ connectionId: "d", userId: "dan", meta: { status: "away" } }],
      left: [
        { connectionId: "a", userId: "ann" },
        { connectionId: "e", userId: "eve" },
      ],
      updated: [
        { connectionId: "b", userId: "bob" },
        { connectionId: "c", userId: null },
      ],
    });
  });

  it("folds the diffs of other nodes as if they were its own changes", () => {
    const diff = new PresenceDiffBuilder();
    diff.addChanges({ joined: [{ connectionId: "a", userId: "ann" }] });
    diff.addChanges({ left: [{ connectionId: "a", userId: "ann" }], joined: [{ connectionId: "b", userId: null }] });
    // a's join and leave reached this node in one window, but a member here may have read a snapshot listing a in between.
    assert.deepEqual(diff.build(), { joined: [{ connectionId: "b", userId: null }], left: [{ connectionId: "a", userId: "ann" }] });
  });

  it("never lets a join and a leave cancel out, and ends a leave then a rejoin present with its latest meta", () => {
    const diff = new PresenceDiffBuilder();
    diff.add({ kind: "join", connectionId: "x", userId: null, meta: { v: 1 } });
    diff.add({ kind: "update", connectionId: "x", userId: null, meta: { v: 2 } });
    diff.add({ kind: "leave", connectionId: "x", userId: null });
    diff.add({ kind: "leave", connectionId: "y", userId: "yan" });
    diff.add({ kind: "join", connectionId: "y", userId: "yan", meta: { v: 1 } });
    diff.add({ kind: "update", connectionId: "y", userId: "yan", meta: { v: 3 } });
    diff.add({ kind: "join", connectionId: "z", userId: null });
    diff.add({ kind: "leave", connectionId: "z", userId: null });
    diff.add({ kind: "join", connectionId: "z", userId: null, meta: { again: true } });
    assert.deepEqual(diff.build(), {
      joined: [{ connectionId: "z", userId: null, meta: { again: true } }],
      left: [{ connectionId: "x", userId: null }],
      updated: [{ connectionId: "y", userId: "yan", meta: { v: 3 } }],
    });
    // A failed batch's join and a later leave: a leave too.
    const later = new PresenceDiffBuilder();
    later.add({ kind: "leave", connectionId: "w", userId: null });
    assert.deepEqual(PresenceDiffBuilder.resend({ joined: [{ connectionId: "w", userId: null }] }, later).build(), { left: [{ connectionId: "w", userId: null }] });
  });
});

describe("the client's presence view", () => {
  it("lets a diff win over an older page for the entries it names, and takes the page's word for the rest", () => {
    const view = new PresenceView();
    const cursor = view.reset({ count: 4, mode: "list", entries: [{ connectionId: "a", userId: "ann" }], cursor: "1" });
    assert.equal(cursor, "1");
    assert.equal(view.exact, false, "not exact until the last page is in");
    // While the next page is in flight: b leaves, c changes its meta, d joins.
    view.applyDiff({ count: 3, left: [{ connectionId: "b", userId: "bob" }], updated: [{ connectionId: "c", userId: "cid", meta: { v: 2 } }], joined: [{ connectionId: "d", userId: null }] });
    // The page was read before those changes.
    view.applyPage({ count: 4, entries: [{ connectionId: "b", userId: "bob" }, { connectionId: "c", userId: "cid", meta: { v: 1 } }, { connectionId: "e", userId: "eve" }], cursor: null });
    assert.equal(view.exact, true);
    const byId = new Map(view.connections!.map((entry) => [entry.connectionId, entry]));
    assert.deepEqual([...byId.keys()].sort(), ["a", "c", "d", "e"]);
    assert.deepEqual(byId.get("c")!.meta, { v: 2 });
    assert.equal(view.count, 4);
    assert.deepEqual(view.members!.map((member) => String(member.userId)).sort(), ["ann", "cid", "eve", "null"]);
  });

  it("drops the list in count mode and asks for a sync when lists come back", () => {
    const view = new PresenceView();
    view.reset({ count: 1, mode: "list", entries: [{ connectionId: "a", userId: null }], cursor: null });
    assert.equal(view.exact, true);
    const counted = view.applyDiff({ count: 1500 });
    assert.deepEqual(counted, { events: [], needsSync: false });
    assert.equal(view.exact, false);
    assert.equal(view.count, 1500);
    assert.equal(view.members, undefined);
    const back = view.applyDiff({ count: 999, left: [{ connectionId: "z", userId: null }] });
    assert.equal(back.needsSync, true);
    assert.deepEqual(back.events, [{ event: "leave", userId: null, connectionId: "z" }]);
  });

  it("emits the changes of its list: nothing for a leave of a connection it never listed, nor for a join it already listed", () => {
    const view = new PresenceView();
    view.reset({ count: 2, mode: "list", entries: [{ connectionId: "me", userId: "ann" }, { connectionId: "b", userId: "bob", meta: { v: 1 } }], cursor: null });
    const applied = view.applyDiff({
      count: 3,
      joined: [{ connectionId: "me", userId: "ann" }, { connectionId: "c", userId: null }],
      left: [{ connectionId: "ghost", userId: "gus" }],
      updated: [{ connectionId: "b", userId: "bob", meta: { v: 2 } }, { connectionId: "d", userId: "dan" }],
    });
    assert.deepEqual(applied.events, [
      { event: "join", userId: null, connectionId: "c" },
      { event: "update", userId: "bob", connectionId: "b", meta: { v: 2 } },
      { event: "join", userId: "dan", connectionId: "d" },
    ]);
    assert.deepEqual(view.connections!.map((entry) => entry.connectionId).sort(), ["b", "c", "d", "me"]);
    assert.deepEqual(view.applyDiff({ count: 3, left: [{ connectionId: "c", userId: null }, { connectionId: "c2", userId: null }] }).events, [{ event: "leave", userId: null, connectionId: "c" }]);
    assert.equal(view.count, 3);
  });
});

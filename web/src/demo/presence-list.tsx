import type { PresenceMember } from "./sdk.ts";

export function memberName(member: PresenceMember): string {
  const metaName = member.meta?.name;
  if (typeof member.userId === "string") return member.userId;
  return typeof metaName === "string" && metaName.length > 0 ? metaName : "guest";
}

/** What the room's presence says: the member list, or (in a room above its list limit) only the count. */
export interface Presence {
  /** The room is above its list limit: the server sends counts, and no list is kept. */
  countOnly: boolean;
  count: number | undefined;
  members: PresenceMember[] | undefined;
}

/** Who is in the room right now, across all nodes. */
export function PresenceList({ countOnly, count, members }: Presence) {
  if (countOnly || members === undefined) {
    return (
      <section class="panel" aria-labelledby="presence-title">
        <h2 id="presence-title">Online ({count ?? "…"})</h2>
        <p class="muted small" data-testid="presence-count-only">
          {!countOnly || count === undefined ? "Loading who is here…" : `${count} connection${count === 1 ? "" : "s"}; this room is too big to list its members.`}
        </p>
      </section>
    );
  }
  return (
    <section class="panel" aria-labelledby="presence-title">
      <h2 id="presence-title">Online ({members.length})</h2>
      <ul class="plain" data-testid="presence">
        {members.map((member, index) => (
          <li key={`${memberName(member)}-${index}`}>
            <span aria-hidden="true" style="color:var(--ok)">● </span>
            {memberName(member)}
            {member.connections > 1 && <span class="muted small"> ({member.connections} tabs)</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

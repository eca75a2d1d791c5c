import type { PresenceMember } from "./sdk.ts";

export function memberName(member: PresenceMember): string {
  const metaName = member.meta?.name;
  if (typeof member.userId === "string") return member.userId;
  return typeof metaName === "string" && metaName.length > 0 ? metaName : "guest";
}

/** Who is in the room right now, across all nodes. */
export function PresenceList({ members }: { members: PresenceMember[] }) {
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

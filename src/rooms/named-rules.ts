/**
 * The rules a policy can name as a string, so that a config file (which has no
 * functions) can say who may join and publish. `claim:<name>=<value>` lets in a
 * subject whose JWT claim `name` equals `value` (or, for an array claim, contains
 * it); `{param}` in the value stands for that capture of the room pattern, so
 * `{ match: "team:{team}", join: "claim:team={team}" }` admits each team to its own room.
 */
export const NAMED_RULES = ["anyone", "authenticated", "members", "nobody"] as const;
export type NamedRule = (typeof NAMED_RULES)[number];
export type ClaimRuleText = `claim:${string}`;

export const RULE_HINT = `use ${NAMED_RULES.join(", ")} or claim:<name>=<value>`;

type ClaimCheck = (subject: { readonly claims: Readonly<Record<string, unknown>> }, room: string, params: Readonly<Record<string, string>>) => boolean;

interface ParsedClaimRule {
  name: string;
  /** Literal text and parameter names, alternating: the value is their concatenation. */
  value: Array<{ text: string } | { param: string }>;
}

function parseClaimRule(rule: string): ParsedClaimRule | string {
  const body = rule.slice("claim:".length);
  const equals = body.indexOf("=");
  if (equals <= 0) return `"${rule}" needs a claim name and a value: claim:<name>=<value>`;
  const name = body.slice(0, equals);
  const value: ParsedClaimRule["value"] = [];
  for (const part of body.slice(equals + 1).split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/)) {
    if (part.startsWith("{") && part.endsWith("}")) value.push({ param: part.slice(1, -1) });
    else if (part.length > 0) value.push({ text: part });
  }
  if (value.length === 0) return `"${rule}" needs a value after "="`;
  return { name, value };
}

/** Why `rule` is not a usable named rule for a pattern with these parameters, or undefined. */
export function namedRuleProblem(rule: string, paramNames: readonly string[]): string | undefined {
  if ((NAMED_RULES as readonly string[]).includes(rule)) return undefined;
  if (!rule.startsWith("claim:")) return `unknown rule "${rule}": ${RULE_HINT}`;
  const parsed = parseClaimRule(rule);
  if (typeof parsed === "string") return parsed;
  for (const part of parsed.value) {
    if ("param" in part && !paramNames.includes(part.param)) return `"${rule}" uses {${part.param}}, which the match pattern does not capture`;
  }
  return undefined;
}

/** The check a `claim:` rule stands for; call namedRuleProblem first. */
export function claimRule(rule: ClaimRuleText): ClaimCheck {
  const parsed = parseClaimRule(rule);
  if (typeof parsed === "string") throw new TypeError(parsed);
  const { name, value } = parsed;
  const literal = value.length === 1 && "text" in value[0]! ? value[0].text : undefined;
  return (subject, _room, params) => {
    const expected = literal ?? value.map((part) => ("text" in part ? part.text : (params[part.param] ?? ""))).join("");
    const claim = subject.claims[name];
    const matches = (item: unknown): boolean => (typeof item === "string" || typeof item === "number" || typeof item === "boolean") && String(item) === expected;
    return Array.isArray(claim) ? claim.some(matches) : matches(claim);
  };
}

import { z } from "zod";
import { jsonListSetting } from "../protocol/json-list-setting.js";
import { DEFAULT_HISTORY } from "../rooms/room-policy.js";
import type { RoomPolicyOptions } from "../rooms/room-policy.js";
import { namedRuleProblem, RULE_HINT } from "../rooms/named-rules.js";
import type { ClaimRuleText, NamedRule } from "../rooms/named-rules.js";
import { compilePattern, patternProblem } from "../rooms/room-pattern.js";

/**
 * Room policies in the standalone server's config file: the library's `rooms`
 * option with rules named as strings (a file has no functions). The same
 * pattern and rule checks as the library, so an entry the server accepts here
 * is one `createSwitchboard({ rooms })` accepts too.
 */
// The pattern lets editors flag a misspelt rule; the validator then names what is wrong with it.
const rule = z.string().meta({ pattern: "^(anyone|authenticated|members|nobody|claim:[^=]+=.+)$" });

const history = z.union([
  z.literal(false).describe("Keep no history."),
  z
    .object({
      size: z.number().int().min(0).max(1_000_000).default(DEFAULT_HISTORY.size).describe("Messages kept per room; 0 keeps none."),
      ttlMs: z.number().int().min(1).default(DEFAULT_HISTORY.ttlMs).describe("How long a message is kept, in ms."),
    })
    .strict(),
]);

export const roomPolicyEntrySchema = z
  .object({
    match: z.string().describe("An exact room name, or a pattern with * (any characters) and {param} (one :-free segment)."),
    join: rule.optional().describe(`Who may join (default anyone): ${RULE_HINT}.`),
    publish: rule.optional().describe(`Who may publish (default members): ${RULE_HINT}.`),
    presence: z
      .union([z.boolean(), z.literal("count")])
      .optional()
      .describe('Whether joins, leaves and meta changes are tracked and announced: true (member lists up to presenceListLimit, counts above it), "count" (counts only) or false (default true).'),
    presenceListLimit: z.number().int().min(0).optional().describe("Above this many present connections, presence frames carry counts instead of member lists (default 1000)."),
    history: history.optional().describe("Message history for recovery (default { size: 100, ttlMs: 300000 }); false keeps none."),
  })
  .strict()
  .superRefine((entry, context) => {
    const problem = patternProblem(entry.match);
    if (problem !== undefined) {
      context.addIssue({ code: "custom", path: ["match"], message: problem });
      return;
    }
    const { paramNames } = compilePattern(entry.match);
    for (const key of ["join", "publish"] as const) {
      const value = entry[key];
      const ruleProblem = value === undefined ? undefined : namedRuleProblem(value, paramNames);
      if (ruleProblem !== undefined) context.addIssue({ code: "custom", path: [key], message: ruleProblem });
    }
  });

export type RoomPolicyEntry = z.infer<typeof roomPolicyEntrySchema>;

/** A list in the config file, or the same list as a JSON string in SWITCHBOARD_ROOMS. */
export const roomPoliciesSchema = jsonListSetting(roomPolicyEntrySchema, 'must be a list of room policies such as [{"match":"ticker:{symbol}","publish":"nobody"}]');

/** Names the entry an issue is about: `rooms[2] (match "ticker:{symbol}")`. */
export function roomEntryName(index: number, rooms: unknown): string {
  const entries = typeof rooms === "string" ? safeJson(rooms) : rooms;
  const match = Array.isArray(entries) ? (entries[index] as { match?: unknown } | undefined)?.match : undefined;
  return `rooms[${index}]${typeof match === "string" ? ` (match "${match}")` : ""}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The validated entries as library options; the rules were checked by the schema. */
export function roomPoliciesFromConfig(entries: readonly RoomPolicyEntry[]): RoomPolicyOptions[] {
  return entries.map((entry) => {
    const options: RoomPolicyOptions = { match: entry.match };
    if (entry.join !== undefined) options.join = entry.join as NamedRule | ClaimRuleText;
    if (entry.publish !== undefined) options.publish = entry.publish as NamedRule | ClaimRuleText;
    if (entry.presence !== undefined) options.presence = entry.presence;
    if (entry.presenceListLimit !== undefined) options.presenceListLimit = entry.presenceListLimit;
    if (entry.history !== undefined) options.history = entry.history;
    return options;
  });
}

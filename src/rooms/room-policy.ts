import type { HistoryPolicy } from "../history/history-store.js";
import { claimRule, namedRuleProblem } from "./named-rules.js";
import type { ClaimRuleText } from "./named-rules.js";
import { compilePattern, patternProblem } from "./room-pattern.js";

/** Who a room policy lets in or lets publish, before the global hooks run. */
export interface RoomAccessSubject {
  readonly id: string;
  readonly userId: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
}

export type RoomRule =
  | "anyone"
  | "authenticated"
  | "members"
  | "nobody"
  /** The JWT claim `name` equals `value` (or, for an array claim, contains it); `{param}` in the value is a capture of the pattern. */
  | ClaimRuleText
  /** Decides per subject; `params` holds the `{name}` captures of the pattern. */
  | ((subject: RoomAccessSubject, room: string, params: Readonly<Record<string, string>>) => boolean | Promise<boolean>);

export interface RoomPolicyOptions {
  /**
   * Which rooms this policy covers: an exact name, a pattern with `*` (any
   * characters) and `{param}` (one `:`-free segment), or a RegExp.
   */
  match: string | RegExp;
  /** Who may join. Default "anyone". */
  join?: RoomRule;
  /** Who may publish; "members" means connections that joined. Default "members". */
  publish?: RoomRule;
  /**
   * Whether joins, leaves and meta changes are tracked and announced: true
   * (member lists up to `presenceListLimit`, counts above it), "count" (counts
   * only, never lists), or false (not tracked). Default true.
   */
  presence?: boolean | "count";
  /** Above this many present connections the room's presence frames carry counts instead of member lists. Default 1000. */
  presenceListLimit?: number;
  /** Message history for recovery; false keeps none. Default { size: 100, ttlMs: 300000 }. */
  history?: HistoryPolicy | false;
}

export interface ResolvedRoomPolicy {
  join: RoomRule;
  publish: RoomRule;
  /** Whether presence is tracked at all. */
  presence: boolean;
  /** "count": presence frames and join replies carry counts only. */
  presenceMode: "list" | "count";
  presenceListLimit: number;
  history: HistoryPolicy;
  params: Record<string, string>;
  /** Join rules added by wire adapters for rooms their protocol owns; all must allow, as well as `join`. */
  guards: readonly RoomRule[];
}

export const DEFAULT_PRESENCE_LIST_LIMIT = 1_000;

export const DEFAULT_HISTORY: HistoryPolicy = { size: 100, ttlMs: 300_000 };
const NO_HISTORY: HistoryPolicy = { size: 0, ttlMs: 300_000 };

interface CompiledPolicy {
  pattern: RegExp;
  paramNames: string[];
  options: RoomPolicyOptions;
}

/** `user:{id}` is only for that user; `private:{a}:{b}` only for users a and b. */
export const BUILT_IN_ROOM_POLICIES: RoomPolicyOptions[] = [
  { match: "user:{id}", join: (subject, _room, params) => subject.userId !== null && subject.userId === params.id },
  {
    match: "private:{a}:{b}",
    join: (subject, _room, params) => subject.userId !== null && (subject.userId === params.a || subject.userId === params.b),
  },
];

/** Compiles a policy once: its pattern, and each named `claim:` rule into the check it stands for. */
function compile(options: RoomPolicyOptions, index: number): CompiledPolicy {
  const where = `Switchboard option "rooms[${index}]" (match ${typeof options.match === "string" ? `"${options.match}"` : String(options.match)})`;
  if (options.presence !== undefined && typeof options.presence !== "boolean" && options.presence !== "count") {
    throw new TypeError(`${where}: presence must be true, false or "count"`);
  }
  const limit = options.presenceListLimit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`${where}: presenceListLimit must be a non-negative integer`);
  if (typeof options.match === "string") {
    const problem = patternProblem(options.match);
    if (problem !== undefined) throw new TypeError(`${where}: match ${problem}`);
  }
  const { pattern, paramNames } = compilePattern(options.match);
  const rule = (key: "join" | "publish"): RoomRule | undefined => {
    const value = options[key];
    if (typeof value !== "string") return value;
    const problem = namedRuleProblem(value, paramNames);
    if (problem !== undefined) throw new TypeError(`${where}: ${key} ${problem}`);
    return value.startsWith("claim:") ? claimRule(value as ClaimRuleText) : value;
  };
  const join = rule("join");
  const publish = rule("publish");
  return { pattern, paramNames, options: { ...options, ...(join === undefined ? {} : { join }), ...(publish === undefined ? {} : { publish }) } };
}

/** First matching policy wins: configured policies, then the built-ins, then the defaults. */
export class RoomPolicies {
  private readonly compiled: CompiledPolicy[];
  private readonly cache = new Map<string, ResolvedRoomPolicy>();
  private readonly guards: Array<{ pattern: RegExp; rule: RoomRule }> = [];

  constructor(policies: readonly RoomPolicyOptions[] = []) {
    this.compiled = [...policies, ...BUILT_IN_ROOM_POLICIES].map((options, index) => compile(options, index));
  }

  /** Adds a join rule for the rooms matching `match`, checked on top of their policy. */
  guard(match: string, rule: RoomRule): void {
    this.guards.push({ pattern: compilePattern(match).pattern, rule });
    this.cache.clear();
  }

  resolve(room: string): ResolvedRoomPolicy {
    const cached = this.cache.get(room);
    if (cached !== undefined) return cached;
    const resolved = this.resolveUncached(room);
    // Bounded so that clients probing many room names cannot grow the cache without limit.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(room, resolved);
    return resolved;
  }

  private resolveUncached(room: string): ResolvedRoomPolicy {
    const guards = this.guards.filter((guard) => guard.pattern.test(room)).map((guard) => guard.rule);
    for (const { pattern, paramNames, options } of this.compiled) {
      const match = pattern.exec(room);
      if (match === null) continue;
      const params: Record<string, string> = {};
      paramNames.forEach((name, index) => {
        params[name] = match[index + 1]!;
      });
      return {
        join: options.join ?? "anyone",
        publish: options.publish ?? "members",
        presence: options.presence !== false,
        presenceMode: options.presence === "count" ? "count" : "list",
        presenceListLimit: options.presenceListLimit ?? DEFAULT_PRESENCE_LIST_LIMIT,
        history: options.history === false ? NO_HISTORY : (options.history ?? DEFAULT_HISTORY),
        params,
        guards,
      };
    }
    return { join: "anyone", publish: "members", presence: true, presenceMode: "list", presenceListLimit: DEFAULT_PRESENCE_LIST_LIMIT, history: DEFAULT_HISTORY, params: {}, guards };
  }
}

/**
 * Whether a rule lets `subject` act on `room`. Built-in rules answer synchronously
 * (a publish then reaches the broker with no turn of the microtask queue); only a
 * custom rule may return a promise.
 */
export function ruleAllows(rule: RoomRule, subject: RoomAccessSubject, room: string, params: Readonly<Record<string, string>>, isMember: boolean): boolean | Promise<boolean> {
  switch (rule) {
    case "anyone":
      return true;
    case "authenticated":
      return subject.userId !== null;
    case "members":
      return isMember;
    case "nobody":
      return false;
    default:
      // RoomPolicies turned every `claim:` rule into a function.
      return typeof rule === "function" ? rule(subject, room, params) : false;
  }
}

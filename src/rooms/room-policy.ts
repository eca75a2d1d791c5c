import type { HistoryPolicy } from "../history/history-store.js";

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
  /** Whether joins and leaves are tracked and announced. Default true. */
  presence?: boolean;
  /** Message history for recovery; false keeps none. Default { size: 100, ttlMs: 300000 }. */
  history?: HistoryPolicy | false;
}

export interface ResolvedRoomPolicy {
  join: RoomRule;
  publish: RoomRule;
  presence: boolean;
  history: HistoryPolicy;
  params: Record<string, string>;
  /** Join rules added by wire adapters for rooms their protocol owns; all must allow, as well as `join`. */
  guards: readonly RoomRule[];
}

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

function compile(options: RoomPolicyOptions): CompiledPolicy {
  if (options.match instanceof RegExp) return { pattern: options.match, paramNames: [], options };
  const paramNames: string[] = [];
  let source = "";
  for (const part of options.match.split(/(\{[A-Za-z_][A-Za-z0-9_]*\}|\*)/)) {
    if (part === "*") source += ".*";
    else if (part.startsWith("{") && part.endsWith("}")) {
      paramNames.push(part.slice(1, -1));
      source += "([^:]+)";
    } else source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return { pattern: new RegExp(`^${source}$`), paramNames, options };
}

/** First matching policy wins: configured policies, then the built-ins, then the defaults. */
export class RoomPolicies {
  private readonly compiled: CompiledPolicy[];
  private readonly cache = new Map<string, ResolvedRoomPolicy>();
  private readonly guards: Array<{ pattern: RegExp; rule: RoomRule }> = [];

  constructor(policies: readonly RoomPolicyOptions[] = []) {
    this.compiled = [...policies, ...BUILT_IN_ROOM_POLICIES].map(compile);
  }

  /** Adds a join rule for the rooms matching `match`, checked on top of their policy. */
  guard(match: string, rule: RoomRule): void {
    this.guards.push({ pattern: compile({ match }).pattern, rule });
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
        presence: options.presence ?? true,
        history: options.history === false ? NO_HISTORY : (options.history ?? DEFAULT_HISTORY),
        params,
        guards,
      };
    }
    return { join: "anyone", publish: "members", presence: true, history: DEFAULT_HISTORY, params: {}, guards };
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
      return rule(subject, room, params);
  }
}

/**
 * Room patterns: an exact name, `*` for any characters and `{param}` for one
 * `:`-free segment whose value the rules receive. One compiler for the library's
 * `rooms` option and the standalone server's config file, so both read a pattern
 * the same way.
 */
export interface CompiledPattern {
  pattern: RegExp;
  paramNames: string[];
}

const PARAM = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const PARTS = /(\{[^{}]*\}|\*)/;

/** Why a string pattern cannot be used, or undefined when it can. */
export function patternProblem(match: string): string | undefined {
  if (match.length === 0) return "must not be empty";
  const seen = new Set<string>();
  for (const part of match.split(PARTS)) {
    if (part.startsWith("{") && part.endsWith("}")) {
      if (!PARAM.test(part)) return `"${part}" is not a parameter: use {name} with letters, digits and _`;
      const name = part.slice(1, -1);
      if (seen.has(name)) return `parameter {${name}} appears twice`;
      seen.add(name);
    } else if (part.includes("{") || part.includes("}")) return "has an unmatched brace";
  }
  return undefined;
}

export function compilePattern(match: string | RegExp): CompiledPattern {
  if (match instanceof RegExp) return { pattern: match, paramNames: [] };
  const paramNames: string[] = [];
  let source = "";
  for (const part of match.split(PARTS)) {
    if (part === "*") source += ".*";
    else if (PARAM.test(part)) {
      paramNames.push(part.slice(1, -1));
      source += "([^:]+)";
    } else source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return { pattern: new RegExp(`^${source}$`), paramNames };
}

import { isIP } from "node:net";

/**
 * The rules for a backend URL (event proxy, connect and join hooks, webhooks),
 * checked once when the integration is built:
 * - http or https only;
 * - no link-local or cloud-metadata address (169.254.0.0/16, fe80::/10, AWS's
 *   fd00:ec2::254, Alibaba's 100.100.100.200, metadata.google.internal and the
 *   like) unless `allowLinkLocal` says so: a misconfigured or injected URL must
 *   not make the server fetch instance credentials;
 * - https when the calls carry user credentials (the connect hook forwards the
 *   upgrade's Authorization and Cookie headers; the event proxy with
 *   `forwardToken` sends tokens) to anything but loopback.
 * Names are checked as written; they are not resolved.
 */
export interface BackendUrlRules {
  /** The calls carry user credentials (tokens, cookies). */
  carriesCredentials: boolean;
  /** Lets the URL name a link-local or metadata address. Default false. */
  allowLinkLocal?: boolean | undefined;
}

const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal"]);
const METADATA_ADDRESSES = new Set(["100.100.100.200", "fd00:ec2::254"]);

function ipv4Parts(host: string): number[] | undefined {
  if (isIP(host) !== 4) return undefined;
  return host.split(".").map(Number);
}

/** Whether `host` (as in a URL, IPv6 without brackets) is link-local or a metadata endpoint. */
export function isLinkLocalOrMetadata(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (METADATA_NAMES.has(name) || METADATA_ADDRESSES.has(name)) return true;
  const v4 = ipv4Parts(name) ?? ipv4Parts(name.replace(/^::ffff:/, ""));
  if (v4 !== undefined) return v4[0] === 169 && v4[1] === 254;
  if (isIP(name) === 6) {
    const first = Number.parseInt(name.split(":")[0] || "0", 16);
    return (first & 0xffc0) === 0xfe80;
  }
  return false;
}

/** Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost") || name === "::1") return true;
  const v4 = ipv4Parts(name) ?? ipv4Parts(name.replace(/^::ffff:/, ""));
  return v4 !== undefined && v4[0] === 127;
}

/** Returns the problem with a backend URL, or undefined when it passes the rules. */
export function backendUrlProblem(url: unknown, rules: BackendUrlRules): string | undefined {
  if (typeof url !== "string") return "must be an http(s) URL";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an http(s) URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an http(s) URL";
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (rules.allowLinkLocal !== true && isLinkLocalOrMetadata(host)) return `names a link-local or cloud-metadata address (${host}); set allowLinkLocal (SWITCHBOARD_BACKEND_ALLOW_LINK_LOCAL=true) if that is really the backend`;
  if (rules.carriesCredentials && parsed.protocol === "http:" && !isLoopback(host)) return "must be https: these calls carry user credentials, and plain http is only accepted to loopback (127.0.0.1, ::1, localhost)";
  return undefined;
}

/** Throws a TypeError naming the integration and the setting when a backend URL breaks the rules. */
export function assertBackendUrl(url: unknown, owner: string, rules: BackendUrlRules): asserts url is string {
  const problem = backendUrlProblem(url, rules);
  if (problem !== undefined) throw new TypeError(`${owner}: "url" ${problem}`);
}

import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";

/**
 * Finds the client's address. `X-Forwarded-For` is honoured only when the socket's
 * peer is a configured trusted proxy; the chain is then walked from the right,
 * skipping trusted proxies, so a client cannot spoof its address by sending the
 * header itself.
 */
export class ClientIpResolver {
  private readonly trusted = new BlockList();
  private readonly hasTrusted: boolean;

  /** `trustedProxies`: addresses ("10.0.0.1") or CIDR ranges ("10.0.0.0/8", "fd00::/8"). */
  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) addTrusted(this.trusted, entry);
    this.hasTrusted = trustedProxies.length > 0;
  }

  resolve(request: IncomingMessage): string {
    const peer = normalize(request.socket.remoteAddress ?? "");
    if (!this.hasTrusted || !this.isTrusted(peer)) return peer;
    const header = request.headers["x-forwarded-for"];
    if (header === undefined) return peer;
    const hops = (Array.isArray(header) ? header.join(",") : header).split(",").map((hop) => normalize(hop.trim()));
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index]!;
      if (isIP(hop) === 0) return peer; // a malformed hop: do not trust anything to its left
      if (!this.isTrusted(hop)) return hop;
    }
    return hops[0] ?? peer;
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.trusted.check(address, family === 6 ? "ipv6" : "ipv4");
  }
}

/** "::ffff:127.0.0.1" (an IPv4 peer on a dual-stack socket) is the same client as "127.0.0.1". */
function normalize(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function addTrusted(list: BlockList, entry: string): void {
  const [address = "", prefix] = entry.trim().split("/");
  const normalized = normalize(address);
  const family = isIP(normalized);
  if (family === 0) throw new TypeError(`Switchboard option "protection.trustedProxies": "${entry}" is not an IP address or CIDR range`);
  const type = family === 6 ? "ipv6" : "ipv4";
  if (prefix === undefined) {
    list.addAddress(normalized, type);
    return;
  }
  const bits = Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
    throw new TypeError(`Switchboard option "protection.trustedProxies": "${entry}" has an invalid prefix length`);
  }
  list.addSubnet(normalized, bits, type);
}

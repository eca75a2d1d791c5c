/** PostgreSQL WAL positions ("16/B374D848": high and low 32 bits in hex) as bigints. */
export function parseLsn(text: string): bigint {
  const slash = text.indexOf("/");
  if (slash === -1) throw new TypeError(`not an LSN: ${text}`);
  return (BigInt(`0x${text.slice(0, slash) || "0"}`) << 32n) | BigInt(`0x${text.slice(slash + 1) || "0"}`);
}

export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: string, b: string): number {
  const difference = parseLsn(a) - parseLsn(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

import { CLOSE_CODES } from "../../../src/protocol/close-codes.ts";

/** "4009 disconnected" style label from the server's close-code table. */
export function closeCodeLabel(code: number | string): string {
  const entry = (CLOSE_CODES as Record<string, { name: string; meaning: string } | undefined>)[String(code)];
  return entry === undefined ? String(code) : `${code} ${entry.name.replace(/_/g, " ")}`;
}

export function closeCodeMeaning(code: number | string): string | undefined {
  return (CLOSE_CODES as Record<string, { meaning: string } | undefined>)[String(code)]?.meaning;
}

import type { ChatMessageData, MessageFrame } from "./sdk.ts";

/** One line of chat as the page shows it. */
export interface ChatLine {
  offset: number;
  name: string;
  text: string;
  ts: number;
}

function asData(value: unknown): ChatMessageData {
  return value !== null && typeof value === "object" ? (value as ChatMessageData) : {};
}

/** Who sent a frame: the verified user id when there is one, else the name the sender chose. */
export function senderName(frame: Pick<MessageFrame, "from" | "data">): string {
  const userId = frame.from?.userId;
  if (typeof userId === "string") return userId;
  const name = asData(frame.data).name;
  return typeof name === "string" && name.length > 0 ? name : "guest";
}

/** A stored chat message, or undefined for anything else (typing signals, other apps' data). */
export function toChatLine(frame: MessageFrame): ChatLine | undefined {
  const data = asData(frame.data);
  if (typeof data.text !== "string" || frame.offset === undefined) return undefined;
  return { offset: frame.offset, name: senderName(frame), text: data.text, ts: frame.ts };
}

export function isTypingSignal(data: unknown): boolean {
  return asData(data).typing === true;
}

/** Merges by offset: history and live messages may overlap around a join or a recovery. */
export function mergeLines(current: ChatLine[], incoming: ChatLine[], keep = 200): ChatLine[] {
  const byOffset = new Map<number, ChatLine>();
  for (const line of current) byOffset.set(line.offset, line);
  for (const line of incoming) byOffset.set(line.offset, line);
  return [...byOffset.values()].sort((a, b) => a.offset - b.offset).slice(-keep);
}

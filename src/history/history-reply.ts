import type { StoredMessageFrame } from "../protocol/frames.js";
import type { HistoryReply } from "../protocol/replies.js";
import type { HistoryPage } from "./history-store.js";

/**
 * A stored page as the `history` command and `GET /api/rooms/{room}/history` return it:
 * the sealed frames parsed back into objects (a reply is encoded with the connection's codec).
 */
export function toHistoryReply(page: HistoryPage): HistoryReply {
  return {
    messages: page.messages.map((message) => JSON.parse(message.frame) as StoredMessageFrame),
    offset: page.offset,
    epoch: page.epoch,
    complete: page.complete,
  };
}

// The server API's shapes the dashboard reads (see docs/server-api.md): declared once in
// src/protocol/ (type-only, nothing of the server is bundled) and shared with the server that builds them.
export type { ApiStats, NodeStats, RoomCount, StatsSample } from "../../../src/protocol/stats.ts";
export type { PresenceMember, StoredMessageFrame } from "../../../src/protocol/frames.ts";
export type { HistoryReply, PresencePageReply } from "../../../src/protocol/replies.ts";

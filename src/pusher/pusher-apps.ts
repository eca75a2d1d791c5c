import type { ResolvedPusherApp } from "./pusher-options.js";

/** The configured apps, by key (WebSocket path), id (HTTP API path) and room prefix. */
export class PusherApps {
  private readonly byKey = new Map<string, ResolvedPusherApp>();
  private readonly byId = new Map<string, ResolvedPusherApp>();
  /** Longest prefix first, so a room belongs to the most specific app. */
  private readonly byPrefix: ResolvedPusherApp[];
  /** Open connections per app on this node, for `maxConnections`. */
  private readonly open = new Map<ResolvedPusherApp, number>();

  constructor(readonly list: readonly ResolvedPusherApp[]) {
    for (const app of list) {
      this.byKey.set(app.key, app);
      this.byId.set(app.id, app);
    }
    this.byPrefix = [...list].sort((a, b) => b.roomPrefix.length - a.roomPrefix.length);
  }

  withKey(key: string): ResolvedPusherApp | undefined {
    return this.byKey.get(key);
  }

  withId(id: string): ResolvedPusherApp | undefined {
    return this.byId.get(id);
  }

  /** The app a room belongs to and its channel name there, if any. */
  channelOf(room: string): { app: ResolvedPusherApp; channel: string } | undefined {
    for (const app of this.byPrefix) if (room.startsWith(app.roomPrefix)) return { app, channel: room.slice(app.roomPrefix.length) };
    return undefined;
  }

  /** Counts a connection in; false (and not counted) when the app is at its cap. */
  connectionOpened(app: ResolvedPusherApp): boolean {
    const count = this.open.get(app) ?? 0;
    if (app.maxConnections > 0 && count >= app.maxConnections) return false;
    this.open.set(app, count + 1);
    return true;
  }

  connectionClosed(app: ResolvedPusherApp): void {
    this.open.set(app, Math.max(0, (this.open.get(app) ?? 1) - 1));
  }
}

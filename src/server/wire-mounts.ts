import type { WireAdapter } from "../wire/wire-adapter.js";

/** Wire adapters by path: an adapter mounted on `/app` serves `/app` and every path below it. */
export class WireMounts {
  private readonly mounts: Array<{ path: string; adapter: WireAdapter }> = [];

  add(path: string, adapter: WireAdapter): void {
    if (typeof path !== "string" || !path.startsWith("/")) throw new TypeError(`mount(): the path must start with "/", got ${String(path)}`);
    if (typeof adapter?.open !== "function" || typeof adapter.encodeShared !== "function") throw new TypeError("mount(): the adapter must have open() and encodeShared()");
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    if (this.mounts.some((mount) => mount.path === trimmed)) throw new TypeError(`mount(): ${trimmed} already has an adapter`);
    this.mounts.push({ path: trimmed, adapter });
  }

  /** The adapter serving a request path (without its query), if any. */
  find(pathname: string): WireAdapter | undefined {
    for (const { path, adapter } of this.mounts) {
      if (pathname === path || (pathname.startsWith(path) && pathname[path.length] === "/")) return adapter;
    }
    return undefined;
  }
}

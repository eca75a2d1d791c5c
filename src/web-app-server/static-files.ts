import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite's hashed assets never change under the same name; pages must revalidate. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Reads a built site into memory once. The web face is small (about 100 KB), and
 * serving only the files found here means no request path ever reaches the
 * file system, so there is no path traversal to defend against.
 */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(dir, path).split(sep).join("/")}`;
        files.set(url, { body: readFileSync(path), type: TYPES[extname(path)] ?? "application/octet-stream", immutable: url.startsWith("/assets/") });
      }
    }
  };
  walk(dir);
  return files;
}

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the web face: the demo app (index.html) and the operations dashboard
 * (dashboard/index.html) into web/dist. The client SDK is bundled from the
 * sources, so the pages need nothing from the internet at run time.
 */
export default defineConfig({
  root: here("."),
  base: "/",
  logLevel: "warn",
  publicDir: false,
  resolve: {
    alias: { "switchboard/client": here("../src/client/browser.ts") },
  },
  // Preact's automatic JSX runtime through esbuild: no Babel preset needed.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
    rollupOptions: {
      input: { demo: here("index.html"), dashboard: here("dashboard/index.html") },
    },
  },
});

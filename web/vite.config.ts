// Builds the single-page app into the Python package, so `borderwatch serve` ships it with no CDN.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "../borderwatch/web/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8000", ws: true } },
  },
});

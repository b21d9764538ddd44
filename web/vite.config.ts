import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard's production bundle goes next to the compiled server (dist/web), which serves it at `/`.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // Hashed names: the server may cache them for a year; index.html is never cached.
    assetsDir: "assets",
    chunkSizeWarningLimit: 900,
  },
  server: {
    // `npm run dev:web` against a server on :3000.
    proxy: { "/api": "http://127.0.0.1:3000", "/auth": "http://127.0.0.1:3000" },
  },
});

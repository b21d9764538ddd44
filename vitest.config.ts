import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The server's tests, and the dashboard's own (its pure parts, and components in jsdom).
    include: ["test/**/*.test.ts", "web/src/**/*.test.{ts,tsx}"],
    // Tests that build images and run compilers in containers take minutes on a
    // cold machine; the per-test limits are set where they run.
    testTimeout: 30_000,
    hookTimeout: 900_000,
    reporters: ["default"],
  },
});

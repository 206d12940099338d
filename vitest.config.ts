import { defineConfig } from "vitest/config";

// Node-side tests: pure units, the libSQL server driven by real clients, and system tests that
// start real processes. The Worker's own tests run under @cloudflare/vitest-plugin
// (vitest.workers.config.ts).
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/db-server/**/*.test.ts", "test/system/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

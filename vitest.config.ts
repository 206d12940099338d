import { defineConfig } from "vitest/config";

// Node-side tests: pure units and the libSQL server driven by real clients ("fast"), and system
// tests that start real processes ("system"). The Worker's own tests run under
// @cloudflare/vitest-plugin (vitest.workers.config.ts).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "fast", include: ["test/unit/**/*.test.ts", "test/db-server/**/*.test.ts"] } },
      { extends: true, test: { name: "system", include: ["test/system/**/*.test.ts"] } },
    ],
  },
});

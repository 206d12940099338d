import { defineConfig } from "vitest/config";

// Node-side tests: pure units and the libSQL server driven by real clients ("fast"), system tests
// that start real processes ("system"), and a seed left alone for minutes ("rest", run beside the
// others by `seed test`). The Worker's own tests run under @cloudflare/vitest-plugin
// (vitest.workers.config.ts).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "fast", include: ["test/unit/**/*.test.ts", "test/db-server/**/*.test.ts"] } },
      { extends: true, test: { name: "system", include: ["test/system/**/*.test.ts"] } },
      // Minutes of a resting seed, measured on its own processes: run beside the other suites.
      { extends: true, test: { name: "rest", include: ["test/rest/**/*.test.ts"] } },
    ],
  },
});

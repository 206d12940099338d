import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The Worker runs inside workerd (miniflare) and reaches a REAL libSQL server process, started
// by the global setup, through the same LIBSQL service binding it uses in production.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        serviceBindings: {
          LIBSQL: { external: { address: `127.0.0.1:${inject<number>("libsqlPort")}`, http: {} } },
        },
        bindings: {
          SEED_DB_TOKEN: inject<string>("dbToken"),
          SEED_MASTER_KEY: inject<string>("masterKey"),
          TEST_ROOT_KEY: inject<string>("rootKey"),
        },
      },
    })),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    globalSetup: ["test/workers/global-setup.ts"],
    testTimeout: 30_000,
  },
});

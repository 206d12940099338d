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
          // A real OpenAI-compatible embeddings server on loopback (test/support/embeddings-server.ts).
          EMBEDDINGS: { external: { address: inject<string>("embeddingsHost"), http: {} } },
          // A real OpenAI-compatible chat-completions server on loopback (test/support/llm-server.ts).
          LLM: { external: { address: inject<string>("llmHost"), http: {} } },
          // A declared egress service for the mind's alerts: a loopback receiver that verifies signatures (test/support/alert-receiver.ts).
          ALERTS: { external: { address: inject<string>("alertsHost"), http: {} } },
          // The seed's own agents' declared services: an HTTP echo and an MCP server (issue 13).
          ECHO: { external: { address: inject<string>("echoHost"), http: {} } },
          DOCS: { external: { address: inject<string>("mcpHost"), http: {} } },
        },
        bindings: {
          SEED_DB_TOKEN: inject<string>("dbToken"),
          SEED_MASTER_KEY: inject<string>("masterKey"),
          SEED_IDENTITY_KEY: inject<string>("identityKey"),
          TEST_ROOT_KEY: inject<string>("rootKey"),
          TEST_EMBEDDINGS_HOST: inject<string>("embeddingsHost"),
          TEST_EMBEDDINGS_TOKEN: inject<string>("embeddingsToken"),
          TEST_LLM_HOST: inject<string>("llmHost"),
          TEST_LLM_TOKEN: inject<string>("llmToken"),
          TEST_ALERTS_SECRET: inject<string>("alertsSecret"),
          // One JSON line per request is the seed's log; in the test output it is noise.
          SEED_LOG_REQUESTS: "off",
          SEED_SERVICES: inject<string>("seedServices"),
          TEST_ECHO_HOST: inject<string>("echoHost"),
          TEST_MCP_HOST: inject<string>("mcpHost"),
          TEST_MCP_TOKEN: inject<string>("mcpToken"),
        },
      },
    })),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    globalSetup: ["test/workers/global-setup.ts"],
    testTimeout: 30_000,
    // A shared 2-core machine under load can take more than the default 10 s for a beforeAll.
    hookTimeout: 60_000,
  },
});

// Starts a real libSQL server process (`seed db serve`) on a fresh, initialised SEED_HOME for
// the Worker tests, and hands its port, token and the installer root key to the test project.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { pemBody } from "../../lib/audit/ed25519.ts";
import { homePaths } from "../../scripts/cli/home.ts";
import { initHome } from "../../scripts/cli/seed-init.ts";
import { waitForHttp } from "../../scripts/cli/wait-http.ts";
import { freePort, tempDir } from "../support/seed-home.ts";
import { startEmbeddingsServer } from "../support/embeddings-server.ts";
import { startLlmServer } from "../support/llm-server.ts";
import { startAlertReceiver } from "../support/alert-receiver.ts";
import { startEchoService } from "../support/echo-service.ts";
import { startMcpTestServer } from "../support/mcp-test-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    libsqlPort: number;
    dbToken: string;
    rootKey: string;
    masterKey: string;
    identityKey: string;
    embeddingsHost: string;
    embeddingsToken: string;
    llmHost: string;
    llmToken: string;
    alertsHost: string;
    alertsSecret: string;
    echoHost: string;
    mcpHost: string;
    mcpToken: string;
    seedServices: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = tempDir("seed workers ");
  const home = homePaths(path.join(dir, "home"));
  const report = await initHome(home);
  const port = await freePort();
  const cli = path.resolve(import.meta.dirname, "../../scripts/cli/main.ts");
  const child = spawn(process.execPath, [...process.execArgv, cli, "db", "serve", "--home", home.dir, "--port", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 20_000 });
  project.provide("libsqlPort", port);
  project.provide("dbToken", readFileSync(home.dbToken, "utf8").trim());
  project.provide("rootKey", report.rootKey!);
  project.provide("masterKey", readFileSync(home.masterKey).toString("hex"));
  project.provide("identityKey", pemBody(readFileSync(home.identityKey, "utf8")));
  const embeddingsToken = randomBytes(16).toString("hex");
  const embeddings = await startEmbeddingsServer({ token: embeddingsToken, model: "test-embed", dimension: 64 });
  project.provide("embeddingsHost", embeddings.host);
  project.provide("embeddingsToken", embeddingsToken);
  // The mind's planner talks to a real chat-completions server on loopback (test/support/llm-server.ts).
  const llmToken = randomBytes(16).toString("hex");
  const llm = await startLlmServer({ token: llmToken });
  project.provide("llmHost", llm.host);
  project.provide("llmToken", llmToken);
  // The mind's notification webhook goes to a real receiver on loopback that checks signatures.
  const alertsSecret = `whsec_${randomBytes(32).toString("base64")}`;
  const alerts = await startAlertReceiver({ secret: alertsSecret });
  project.provide("alertsHost", alerts.host);
  project.provide("alertsSecret", alertsSecret);
  // The seed's own agents: a declared HTTP service and a declared MCP server (issue 13).
  const echo = await startEchoService();
  const mcpToken = randomBytes(16).toString("hex");
  const mcp = await startMcpTestServer({ token: mcpToken });
  project.provide("echoHost", echo.host);
  project.provide("mcpHost", mcp.host);
  project.provide("mcpToken", mcpToken);
  project.provide(
    "seedServices",
    JSON.stringify({ LLM: { url: `http://${llm.host}` }, ECHO: { url: `http://${echo.host}`, credential: "echo-key" }, DOCS: { url: mcp.url, credential: "docs-key" } }),
  );
  return async () => {
    await alerts.close();
    await echo.close();
    await mcp.close();
    await embeddings.close();
    await llm.close();
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  };
}

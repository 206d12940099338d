// Pure parts of the seed's own agents: grants, the declared services, tool names, redaction, and
// the services declaration the workerd config carries to the Worker.
import { describe, expect, it } from "vitest";
import { chatCompletionsUrl, credentialFits, declaredServices, serviceUrl } from "../../lib/agents/declared-services.ts";
import { redact, REDACTED } from "../../lib/agents/redact.ts";
import { mcpToolName, stableToolSpecs } from "../../lib/agents/tool-catalog.ts";
import { parseGrant, parseGrants, topicGranted } from "../../lib/agents/tool-grants.ts";
import { AgentInput } from "../../lib/agents/wire.ts";
import { checkService, servicesDeclaration } from "../../scripts/cli/services.ts";
import { renderWorkerdConfig } from "../../scripts/workerd-config/workerd-config.ts";

describe("tool grants", () => {
  it("parses every kind and says what is wrong with the rest", () => {
    expect(parseGrants(["memory", "work", "bus:orders.*", "service:GITHUB", "mcp:DOCS"])).toEqual([
      { kind: "memory" },
      { kind: "work" },
      { kind: "bus", topics: "orders.*" },
      { kind: "service", name: "GITHUB" },
      { kind: "mcp", name: "DOCS" },
    ]);
    for (const bad of ["bus:", "bus:Orders", "bus:a b", "service:github", "mcp:", "memories", "admin", "service:LLM:x"]) expect(typeof parseGrant(bad)).toBe("string");
  });

  it("a bus glob matches within a name, never across it, and nothing else", () => {
    const g = parseGrants(["bus:orders.*"]);
    expect(topicGranted(g, "orders.new")).toBe(true);
    expect(topicGranted(g, "orders.")).toBe(true);
    expect(topicGranted(g, "ordersx")).toBe(false);
    expect(topicGranted(g, "billing.orders.new")).toBe(false);
    expect(topicGranted(parseGrants(["memory"]), "orders.new")).toBe(false);
  });

  it("offers only granted tools, and http_request only for the granted services", () => {
    const names = (t: string[]) => stableToolSpecs(parseGrants(t)).map((s) => s.function.name);
    expect(names([])).toEqual([]);
    expect(names(["work"])).toEqual(["work_progress", "work_fail"]);
    expect(names(["memory", "bus:x"])).toEqual(["memory_recall", "memory_remember", "bus_publish"]);
    const http = stableToolSpecs(parseGrants(["service:A", "service:B"]))[0]!;
    expect((http.function.parameters.properties as Record<string, { enum?: string[] }>).service!.enum).toEqual(["A", "B"]);
  });

  it("one agent's grant detail never leaks into another's tools (the base schemas are shared)", () => {
    const props = (t: string[], tool: string) => stableToolSpecs(parseGrants(t)).find((s) => s.function.name === tool)!.function.parameters.properties as Record<string, { enum?: string[]; description?: string }>;
    const a = props(["bus:a.*", "service:A"], "bus_publish");
    const b = props(["bus:b.*"], "bus_publish");
    expect(a.topic!.description).toContain("a.*");
    expect(b.topic!.description).toContain("b.*");
    expect(b.topic!.description).not.toContain("a.*");
    expect(props(["service:B"], "http_request").service!.enum).toEqual(["B"]);
    expect(props(["service:A"], "http_request").service!.enum).toEqual(["A"]);
  });

  it("MCP tool names are model-safe and at most 64 characters", () => {
    expect(mcpToolName("DOCS", "create-ticket")).toBe("mcp_docs_create_ticket");
    const long = mcpToolName("DOCS", "x".repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[a-z0-9_]+$/);
    expect(mcpToolName("DOCS", "y".repeat(100))).not.toBe(long);
  });
});

describe("declared services", () => {
  it("reads the declaration, never the seed's own organs, and joins paths", () => {
    const s = declaredServices(JSON.stringify({ LLM: { url: "http://127.0.0.1:11434" }, DOCS: { url: "https://mcp.example.com/mcp", credential: "docs" }, LIBSQL: { url: "http://x" } }));
    expect(Object.keys(s).sort()).toEqual(["DOCS", "LLM"]);
    expect(declaredServices("not json")).toEqual({});
    expect(declaredServices(undefined)).toEqual({});
    expect(serviceUrl(s.DOCS!, "/tools?x=1")).toBe("https://mcp.example.com/mcp/tools?x=1");
    expect(chatCompletionsUrl(s.LLM!)).toBe("http://127.0.0.1:11434/v1/chat/completions");
    expect(chatCompletionsUrl({ url: "https://api.example.com/openai/v1" })).toBe("https://api.example.com/openai/v1/chat/completions");
    expect(credentialFits(s.DOCS!, "mcp.example.com")).toBe(true);
    expect(credentialFits(s.LLM!, "127.0.0.1:11434")).toBe(true);
    expect(credentialFits(s.DOCS!, "evil.example.com")).toBe(false);
  });

  it("seed services keeps a base path, refuses secrets in URLs, and the config carries the declaration", () => {
    expect(checkService("LLM", "http://127.0.0.1:11434/")).toBe("http://127.0.0.1:11434");
    expect(checkService("DOCS", "https://mcp.example.com/mcp/")).toBe("https://mcp.example.com/mcp");
    expect(() => checkService("X", "https://u:p@example.com")).toThrow(/credentials/);
    expect(() => checkService("X", "https://example.com/?token=abc")).toThrow(/query/);
    const decl = servicesDeclaration({ DOCS: { url: "https://mcp.example.com/mcp", credential: "docs" }, LLM: { url: "http://127.0.0.1:1" } });
    expect(JSON.parse(decl)).toEqual({ DOCS: { url: "https://mcp.example.com/mcp", credential: "docs" }, LLM: { url: "http://127.0.0.1:1" } });
    const text = renderWorkerdConfig(
      { compatibilityDate: "2026-11-01", compatibilityFlags: [], vars: {}, durableObjects: [], services: [] },
      { modules: [{ name: "index.js", path: "bundle/index.js" }], httpAddress: "127.0.0.1:1", externalServices: {}, doStoragePath: "/x", uniqueKeyPrefix: "s", secretsFromEnv: [], servicesDeclaration: decl },
    );
    expect(text).toContain(`(name = "SEED_SERVICES", text = ${JSON.stringify(decl)})`);
  });
});

describe("redaction and definitions", () => {
  it("removes a secret as sent, JSON-escaped and URL-encoded", () => {
    const secret = 'sk-"quoted"/and+more';
    const text = JSON.stringify({ a: `Bearer ${secret}`, b: encodeURIComponent(secret) }) + secret;
    const out = redact(text, secret);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out.split(REDACTED)).toHaveLength(4);
    expect(redact("abc", null)).toBe("abc");
  });

  it("a definition names its own fields only with a model, and durations read like people write them", () => {
    expect(AgentInput.parse({ name: "a", model: "m", instructions: "x", maxTaskTime: "10m" }).maxTaskTime).toBe(600_000);
    expect(AgentInput.safeParse({ name: "a", model: "m", instructions: "x", maxTaskTime: "25h" }).success).toBe(false);
    expect(AgentInput.safeParse({ name: "a", budgetTokensPerDay: 5 }).success).toBe(false);
    expect(AgentInput.safeParse({ name: "a", model: "m", instructions: "x".repeat(64 * 1024 + 1) }).success).toBe(false);
  });
});

// The seed's own agents use the tools of MCP servers the owner declared as services. The official
// SDK client speaks Streamable HTTP through the service binding (the only way out), with the
// service's credential as a Bearer token; schemas are checked with @cfworker/json-schema because
// workerd cannot run ajv's generated code.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { FetcherLike } from "../memory/memory-types.ts";

export type McpTool = { name: string; description: string; inputSchema: Record<string, unknown> };
export type McpTarget = { url: string; fetcher: FetcherLike; token: string | null; timeoutMs: number };

async function withClient<T>(t: McpTarget, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: "seed-agent", version: "1" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  const transport = new StreamableHTTPClientTransport(new URL(t.url), {
    fetch: (input, init) => t.fetcher.fetch(input as string, init as RequestInit),
    requestInit: t.token ? { headers: { Authorization: `Bearer ${t.token}` } } : undefined,
  });
  const signal = AbortSignal.timeout(Math.max(1, t.timeoutMs));
  try {
    await client.connect(transport, { signal });
    return await fn(client);
  } finally {
    await client.close().catch(() => {});
  }
}

export async function listMcpTools(t: McpTarget): Promise<McpTool[]> {
  return withClient(t, async (c) => {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listTools(cursor ? { cursor } : {}, { signal: AbortSignal.timeout(t.timeoutMs) });
      for (const tool of page.tools) tools.push({ name: tool.name, description: tool.description ?? "", inputSchema: tool.inputSchema as Record<string, unknown> });
      cursor = page.nextCursor;
    } while (cursor && tools.length < 500);
    return tools;
  });
}

/** Calls a tool; its content becomes the tool message the model reads. */
export async function callMcpTool(t: McpTarget, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; content: unknown }> {
  return withClient(t, async (c) => {
    const r = await c.callTool({ name, arguments: args }, undefined, { signal: AbortSignal.timeout(t.timeoutMs) });
    return { isError: r.isError === true, content: "structuredContent" in r && r.structuredContent ? r.structuredContent : r.content };
  });
}

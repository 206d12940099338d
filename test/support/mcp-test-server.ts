// An MCP server that the owner declares as a service for the seed's own agents: the official SDK's
// server over Streamable HTTP on loopback (stateless), behind a Bearer token. Tools: `lookup`
// (read-only) and `create_ticket` (records what it was asked; GET /__tickets lists them).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export async function startMcpTestServer(opts: { token: string }): Promise<{ host: string; url: string; close(): Promise<void> }> {
  const tickets: { title: string }[] = [];
  const build = () => {
    const server = new McpServer({ name: "docs", version: "1.0.0" });
    server.registerTool("lookup", { description: "Look a term up in the docs.", inputSchema: { term: z.string() } }, async ({ term }) => ({ content: [{ type: "text", text: `${term}: a word from the docs` }] }));
    server.registerTool("create_ticket", { description: "Open a ticket.", inputSchema: { title: z.string() } }, async ({ title }) => {
      tickets.push({ title });
      return { content: [{ type: "text", text: `ticket #${tickets.length} opened` }] };
    });
    return server;
  };
  const httpServer = http.createServer(async (req, res) => {
    if (req.url === "/__tickets") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(tickets));
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ error: "unauthorized" }));
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const port = (httpServer.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}

// The MCP door: Model Context Protocol over Streamable HTTP (current revision, official SDK) on
// `POST /mcp`, with the seed's own bearer keys. Each request builds a small SDK server for the
// caller: tools/list shows what the key's kind and scopes allow (mcp-tools.ts); tools/call runs the
// tool's HTTP route in-process with the same key, so validation, scopes and the helper audit are
// the route's own. Sessions (Mcp-Session-Id) are the door's (mcp-sessions.ts); answers are JSON,
// never a held-open stream, so a revoked key has nothing left open.
import type { Context } from "hono";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { BadRequestError, NotFoundError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";
import type { Caller } from "../auth/caller.ts";
import { mcpSessions } from "./mcp-sessions.ts";
import { inputSchema, MCP_TOOLS, offered, toolNamed, type Call } from "./mcp-tools.ts";

/** Runs a request through the seed's own app (in-process): how a tool reaches its route. */
export type Dispatch = (req: Request, c: Context<AppEnv>) => Promise<Response>;

export const SESSION_HEADER = "Mcp-Session-Id";

const INSTRUCTIONS =
  "This is a seed: a sovereign AI organism (bus, mind, work ledger, memory). The tools listed are exactly what your key may do; each call is the seed's own HTTP API with your key, and a helper key's calls are written to the seed's audit ledger.";

/** Requests that a tool made (the helper audit names them as MCP calls). */
export const toolRequests = new WeakMap<Request, string>();

function buildServer(c: Context<AppEnv>, caller: Caller, authorization: string, dispatch: Dispatch): Server {
  const server = new Server({ name: "seed", version: "1.0.0" }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: MCP_TOOLS.filter((t) => offered(t, caller)).map((t) => ({ name: t.name, description: t.description, inputSchema: inputSchema(t) as { type: "object" } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const tool = toolNamed(req.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `there is no tool ${JSON.stringify(req.params.name.slice(0, 80))}`);
    const parsed = tool.input.safeParse(req.params.arguments ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return failure(`422 invalid_input: arguments${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
    }
    return run(c, tool.name, tool.call(parsed.data as Record<string, unknown>), authorization, dispatch);
  });
  return server;
}

const failure = (text: string): CallToolResult => ({ isError: true, content: [{ type: "text", text }] });

async function run(c: Context<AppEnv>, name: string, call: Call, authorization: string, dispatch: Dispatch): Promise<CallToolResult> {
  const headers: Record<string, string> = { Authorization: authorization };
  if (call.body !== undefined) headers["Content-Type"] = "application/json";
  const req = new Request(new URL(call.path, "http://seed.internal"), { method: call.method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body) });
  toolRequests.set(req, name);
  const res = await dispatch(req, c);
  const text = await res.text();
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if (!res.ok) {
    const e = (value as { error?: { code?: string; message?: string } } | null)?.error;
    return failure(`${res.status} ${e?.code ?? "error"}: ${e?.message ?? text.slice(0, 500)}`);
  }
  return {
    content: [{ type: "text", text }],
    ...(value !== null && typeof value === "object" && !Array.isArray(value) ? { structuredContent: value as Record<string, unknown> } : {}),
  };
}

/** POST /mcp: one JSON-RPC message (or a batch, on the older revision). */
export async function mcpPost(c: Context<AppEnv>, body: unknown, dispatch: Dispatch): Promise<Response> {
  const caller = c.var.caller;
  const messages = Array.isArray(body) ? body : [body];
  const initializing = messages.some((m) => (m as { method?: unknown } | null)?.method === "initialize");
  const now = Date.now();
  if (!initializing) {
    const id = c.req.header(SESSION_HEADER);
    if (!id) throw new BadRequestError(`the ${SESSION_HEADER} header is required: initialize a session first`, "mcp_session_required");
    if (!mcpSessions.use(id, caller.keyId, now)) throw new NotFoundError("no such MCP session (it ended, its key was revoked, or the seed restarted): initialize again", "mcp_session_not_found");
  }
  const server = buildServer(c, caller, c.req.header("Authorization")!, dispatch);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  let res: Response;
  try {
    res = await transport.handleRequest(c.req.raw, { parsedBody: body });
  } finally {
    await server.close().catch(() => {});
  }
  if (!initializing || res.status !== 200) return res;
  const session = mcpSessions.open(caller.keyId, now);
  const out = new Response(res.body, res);
  out.headers.set(SESSION_HEADER, session.id);
  return out;
}

/** DELETE /mcp: the client ends its session. */
export function mcpDelete(c: Context<AppEnv>): Response {
  const id = c.req.header(SESSION_HEADER);
  if (!id) throw new BadRequestError(`the ${SESSION_HEADER} header names the session to end`, "mcp_session_required");
  if (!mcpSessions.close(id, c.var.caller.keyId)) throw new NotFoundError("no such MCP session", "mcp_session_not_found");
  return new Response(null, { status: 204 });
}

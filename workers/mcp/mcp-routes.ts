// /mcp: the MCP door, for every kind of key. Which tools a key gets is decided per tool
// (mcp-tools.ts); opening the door only needs a live key.
import { createRoute } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { authenticateGuarded } from "../auth/guarded-authenticate.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { described, json, returns } from "../http/route-parts.ts";
import { mcpDelete, mcpPost, type Dispatch } from "./mcp-handler.ts";

/** A JSON-RPC message or batch; the SDK checks its shape. */
const MAX_MCP_BODY = 1024 * 1024;
const JsonRpcBody = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()).max(100)]);

const anyKey = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await authenticateGuarded(c);
  c.set("caller", caller);
  if (caller.kind === "helper") c.set("membraneScope", "mcp");
  await next();
});

/** A JSON-RPC answer: a result or an error for the request's id (tool failures are results with isError). */
const JsonRpcAnswer = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});

const post = createRoute({
  method: "post",
  path: "/",
  middleware: [anyKey, jsonBody(MAX_MCP_BODY)],
  request: { body: json(JsonRpcBody) },
  responses: {
    200: returns(z.union([JsonRpcAnswer, z.array(JsonRpcAnswer)]), "the JSON-RPC answer; an initialize answer carries the Mcp-Session-Id header to send on every later request"),
    202: described("only notifications or responses were sent: nothing to answer"),
  },
});
const end = createRoute({ method: "delete", path: "/", middleware: [anyKey], responses: { 204: described("the session is ended") } });
const stream = createRoute({ method: "get", path: "/", middleware: [anyKey], responses: { 405: described("no event stream: POST with JSON") } });

export function mcpRoutes(dispatch: Dispatch) {
  return openApp()
    .openapi(post, async (c) => mcpPost(c, c.req.valid("json"), dispatch))
    .openapi(end, (c) => mcpDelete(c))
    .openapi(stream, (c) => c.json({ error: { code: "method_not_allowed", message: "this MCP server answers POST with JSON and opens no event stream" } }, 405, { Allow: "POST, DELETE" }));
}

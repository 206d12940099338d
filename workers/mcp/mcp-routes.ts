// /mcp: the MCP door, for every kind of key. Which tools a key gets is decided per tool
// (mcp-tools.ts); opening the door only needs a live key.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { authenticateGuarded } from "../membrane/guarded-authenticate.ts";
import { readJson } from "../read-json.ts";
import { mcpDelete, mcpPost, type Dispatch } from "./mcp-handler.ts";

/** A JSON-RPC message or batch; the SDK checks its shape. */
const MAX_MCP_BODY = 1024 * 1024;

const anyKey = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await authenticateGuarded(c, c.req.header("Authorization"));
  c.set("caller", caller);
  if (caller.kind === "helper") c.set("membraneScope", "mcp");
  await next();
});

export function mcpRoutes(dispatch: Dispatch) {
  return new Hono<AppEnv>()
    .use(anyKey)
    .post("/", async (c) => mcpPost(c, await readJson(c, z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()).max(100)]), MAX_MCP_BODY), dispatch))
    .delete("/", (c) => mcpDelete(c))
    .get("/", (c) => c.json({ error: { code: "method_not_allowed", message: "this MCP server answers POST with JSON and opens no event stream" } }, 405, { Allow: "POST, DELETE" }));
}

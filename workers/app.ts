import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError, errorBody } from "../lib/errors.ts";
import type { AppEnv } from "./app-env.ts";
import { openDb } from "./db.ts";
import { health } from "./health/health.ts";
import { busRoutes } from "./bus/bus-routes.ts";
import { owner } from "./owner/owner.ts";
import { helperAudit } from "./audit/helper-audit.ts";
import { auditReadRoutes } from "./audit/audit-routes.ts";
import { identityRoutes } from "./identity/identity-routes.ts";
import { statusRoutes } from "./identity/status-routes.ts";
import { mindApi } from "./mind/mind-api.ts";
import { memoryRoutes } from "./memory/memory-routes.ts";
import { metricsRoutes } from "./metrics/metrics-routes.ts";
import { requestMetrics } from "./metrics/request-metrics.ts";
import { mcpRoutes } from "./mcp/mcp-routes.ts";

export const app = new Hono<AppEnv>();

const executionCtxOf = (c: Context<AppEnv>) => {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // a direct app.fetch without one (tests)
  }
};

app.use(requestMetrics); // counts, times and logs every request (workers/metrics/)
app.use(async (c, next) => {
  c.set("db", openDb(c.env));
  await next();
});
app.use(helperAudit); // every helper-key request → audit ledger (workers/audit/helper-audit.ts)

app.route("/", health);
app.route("/v1/owner", owner);
app.route("/v1/identity", identityRoutes);
app.route("/v1/status", statusRoutes);
app.route("/v1/audit", auditReadRoutes);
app.route("/v1/bus", busRoutes);
app.route("/v1", mindApi);
app.route("/v1/memory", memoryRoutes);
app.route("/metrics", metricsRoutes);
// MCP tools run their routes in-process through the app itself (workers/mcp/mcp-handler.ts).
app.route("/mcp", mcpRoutes(async (req, c) => app.fetch(req, c.env, executionCtxOf(c))));

app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));

app.onError((err, c) => {
  if (err instanceof HttpError) {
    return c.json(errorBody(err.code, err.message), err.status as 400);
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody("http_error", err.message), err.status);
  }
  // Details stay out of the response; the log line names the error class only, never a secret.
  console.error(`unhandled ${err.name} on ${c.req.method} ${c.req.path}`);
  return c.json(errorBody("internal", "internal error"), 500);
});

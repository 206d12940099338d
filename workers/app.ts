// The seed's one hono app. Every router is an OpenAPIHono (workers/http/open-app.ts); routes are
// declared with createRoute — policy + schema + handler — as /work/coord/CONVENTIONS.md shows.
import type { Context } from "hono";
import { openDb } from "../lib/db/client.ts";
import { errorBody } from "../lib/errors.ts";
import type { AppEnv } from "./app-env.ts";
import { auditReadRoutes } from "./audit/audit-routes.ts";
import { helperAudit } from "./audit/helper-audit.ts";
import { busRoutes } from "./bus/bus-routes.ts";
import { consoleRoutes } from "./console/console-routes.tsx";
import { health } from "./health/health.ts";
import { onError } from "./http/on-error.ts";
import { openApp } from "./http/open-app.ts";
import { identityRoutes } from "./identity/identity-routes.ts";
import { statusRoutes } from "./identity/status-routes.ts";
import type { Dispatch } from "./mcp/mcp-handler.ts";
import { mcpRoutes } from "./mcp/mcp-routes.ts";
import { memoryRoutes } from "./memory/memory-routes.ts";
import { metricsRoutes } from "./metrics/metrics-routes.ts";
import { requestMetrics } from "./metrics/request-metrics.ts";
import { mindApi } from "./mind/mind-api.ts";
import { ownerRoutes } from "./owner/owner.ts";
import { openApiRoutes } from "./http/openapi-routes.ts";

const executionCtxOf = (c: Context<AppEnv>) => {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // a direct app.fetch without one (tests)
  }
};

// MCP tools run their routes in-process through the app itself (workers/mcp/mcp-handler.ts).
const inProcess: Dispatch = async (req, c) => app.fetch(req, c.env, executionCtxOf(c));

const base = openApp();
base.use(requestMetrics); // counts, times and logs every request (workers/metrics/)
base.use(async (c, next) => {
  c.set("db", openDb(c.env));
  await next();
});
base.use(helperAudit); // every helper-key request → audit ledger (workers/audit/helper-audit.ts)
base.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
base.onError(onError);

export const app = base
  .route("/", health)
  .route("/v1/owner", ownerRoutes)
  .route("/v1/identity", identityRoutes)
  .route("/v1/status", statusRoutes)
  .route("/v1/audit", auditReadRoutes)
  .route("/v1/bus", busRoutes)
  .route("/v1", mindApi)
  .route("/v1/memory", memoryRoutes)
  .route("/metrics", metricsRoutes)
  .route("/mcp", mcpRoutes(inProcess))
  .route("/v1/openapi.json", openApiRoutes(() => base))
  .route("/", consoleRoutes(inProcess)); // the console's HTML pages: / and /console/* (workers/console)

/** The app's type, for hono's typed client: `hc<AppType>(url)`. */
export type AppType = typeof app;

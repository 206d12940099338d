// Public health: /healthz (the Worker answers) and /readyz (every organ answers). A stranger
// learns only which part is not ready — never an error message, SQL text or a path.
import { createRoute } from "@hono/zod-openapi";
import { VERSION } from "../../lib/version.ts";
import { openApp } from "../http/open-app.ts";
import { z } from "zod";
import { returns } from "../http/route-parts.ts";

const Checks = z.record(z.string(), z.string());
import { checkOrgans, ORGANS } from "./organ-checks.ts";

const healthz = createRoute({ method: "get", path: "/healthz", responses: { 200: returns(z.object({ ok: z.literal(true), version: z.string() }), "the Worker answers, with the seed's version") } });
const readyz = createRoute({ method: "get", path: "/readyz", responses: { 200: returns(z.object({ ok: z.literal(true), checks: Checks }), "every organ answers"), 503: returns(z.object({ error: z.object({ code: z.string(), message: z.string() }), checks: Checks }), "which organs are not ready") } });

export const health = openApp()
  .openapi(healthz, (c) => c.json({ ok: true, version: VERSION }, 200))
  .openapi(readyz, async (c) => {
    const organs = await checkOrgans(c);
    const checks = Object.fromEntries(ORGANS.map((o) => { const r = organs[o]; return [o, r.ok ? "ok" : (r.late ?? "not ready")]; }));
    const failing = ORGANS.filter((o) => !organs[o].ok);
    if (failing.length === 0) return c.json({ ok: true, checks }, 200);
    for (const o of failing) {
      const check = organs[o];
      // The reason goes to the log by organ name and error class only: its text may carry SQL.
      if (!check.ok) console.error(`readyz: ${o} is not ready`);
    }
    return c.json({ error: { code: "not_ready", message: `not ready: ${failing.join(", ")}` }, checks }, 503);
  });

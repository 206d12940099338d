// GET /v1/status: the seed's health for the owner and for a helper holding `status:read`.
import { Hono } from "hono";
import { agentUsageList } from "../../lib/agents/usage.ts";
import { identity } from "../../lib/db/schema.ts";
import type { AppEnv } from "../app-env.ts";
import { mindReady } from "../mind/mind-ready.ts";
import { access } from "../auth/access.ts";

async function check(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export const statusRoutes = new Hono<AppEnv>().get("/", access({ owner: true, helper: "status:read" }), async (c) => {
  let seedId: string | null = null;
  const [libsql, bus, mind] = await Promise.all([
    check(async () => {
      seedId = (await c.var.db.select({ seedId: identity.seedId }).from(identity).get())?.seedId ?? null;
    }),
    check(() => c.env.BUS.get(c.env.BUS.idFromName("bus")).ping()),
    check(() => mindReady(c.env)),
  ]);
  const checks = { libsql, bus, mind };
  // Each agent's usage today and in total (issue 13); null when libSQL cannot say.
  const agents = libsql === "ok" ? await agentUsageList(c.var.db as never).catch(() => null) : null;
  return c.json({ seedId, ok: Object.values(checks).every((v) => v === "ok"), checks, agents, at: Date.now() });
});

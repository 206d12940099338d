import { Hono } from "hono";
import { identity } from "../../lib/db/schema.ts";
import { VERSION } from "../../lib/version.ts";
import type { AppEnv } from "../app-env.ts";
import { mindReady } from "../mind/mind-ready.ts";

type Check = "ok" | string;

async function check(fn: () => Promise<unknown>): Promise<Check> {
  try {
    await fn();
    return "ok";
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export const health = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ ok: true, version: VERSION }))
  // Ready means every organ answers: libSQL through the binding, and both Durable Objects.
  .get("/readyz", async (c) => {
    const [libsql, bus, mind] = await Promise.all([
      check(async () => {
        const row = await c.var.db.select({ seedId: identity.seedId }).from(identity).get();
        if (!row) throw new Error("no identity: run `seed init`");
      }),
      check(() => c.env.BUS.get(c.env.BUS.idFromName("bus")).ping()),
      check(() => mindReady(c.env)),
    ]);
    const checks = { libsql, bus, mind };
    const failing = Object.entries(checks).filter(([, v]) => v !== "ok");
    if (failing.length === 0) return c.json({ ok: true, checks });
    const message = failing.map(([k, v]) => `${k}: ${v}`).join("; ");
    return c.json({ error: { code: "not_ready", message }, checks }, 503);
  });

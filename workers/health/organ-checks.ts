// Is each organ answering: libSQL through the binding (and the seed has an identity), the Bus and
// the Mind. The reason a check failed is for the owner and the log, never for a stranger.
import type { Context } from "hono";
import { identity } from "../../lib/db/schema.ts";
import type { AppEnv } from "../app-env.ts";
import { MindLateError, mindReady } from "../mind/mind-ready.ts";
import { busStub } from "../../durable/bus/bus-stub.ts";

/** `late`: the organ answers but says it is behind (the Mind's "late by 5m (alarm_late)"): safe to show anyone. */
export type OrganCheck = { ok: true } | { ok: false; reason: string; late?: string };
export type OrganChecks = { libsql: OrganCheck; bus: OrganCheck; mind: OrganCheck; seedId: string | null };

async function check(fn: () => Promise<unknown>): Promise<OrganCheck> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    // The mind answers but is behind: its short reason ("late by 5m (alarm_late)") is safe to show.
    if (err instanceof MindLateError) return { ok: false, reason: err.message, late: err.message };
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

export async function checkOrgans(c: Context<AppEnv>): Promise<OrganChecks> {
  let seedId: string | null = null;
  const [libsql, bus, mind] = await Promise.all([
    check(async () => {
      seedId = (await c.var.db.select({ seedId: identity.seedId }).from(identity).get())?.seedId ?? null;
      if (seedId === null) throw new Error("no identity: run `seed init`");
    }),
    check(() => busStub(c.env).ping()),
    check(() => mindReady(c.env)),
  ]);
  return { libsql, bus, mind, seedId };
}

export const ORGANS = ["libsql", "bus", "mind"] as const;

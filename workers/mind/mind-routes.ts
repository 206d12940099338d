// /v1/mind: the mind's state and its coherence signal.
import { Hono } from "hono";
import { z } from "zod";
import { agentUsageList } from "../../lib/agents/usage.ts";
import { parseDuration } from "../../lib/mind/duration.ts";
import type { AppEnv } from "../app-env.ts";
import { access } from "../auth/access.ts";
import { parseWith } from "../read-json.ts";
import { mind } from "./mind-stub.ts";

const MAX_WINDOW_MS = 366 * 86_400_000;
const Window = z.object({
  window: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return 24 * 3_600_000;
      const ms = parseDuration(s);
      if (ms === null || ms > MAX_WINDOW_MS) {
        ctx.addIssue({ code: "custom", message: "a duration like 1h, 24h, 7d or milliseconds, at most 366d" });
        return z.NEVER;
      }
      return ms;
    }),
});

export const mindRoutes = new Hono<AppEnv>()
  .get("/", access({ owner: true, agent: true, helper: "status:read" }), async (c) => c.json(await mind(c).status()))
  .get("/coherence", access({ owner: true, agent: true, helper: "coherence:read" }), async (c) => {
    const { window } = parseWith(Window, c.req.query());
    // The agents' usage (tokens, steps, tasks, cost) beside the pulse (issue 13; from libSQL).
    const [report, agents] = await Promise.all([mind(c).coherenceReport(window), agentUsageList(c.var.db as never).catch(() => null)]);
    return c.json({ ...report, agents });
  });

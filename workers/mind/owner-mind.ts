// /v1/owner/mind: what only the owner configures — the mode, webhook sources and their secrets,
// rules, the LLM planner — plus bulk import of task history and the logs to look into.
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError, UnprocessableError } from "../../lib/errors.ts";
import type { ImportLine as ImportLineT } from "../../lib/mind/wire.ts";
import { HOOK_SOURCE, ImportBatch, ImportLine, ModeInput, PlannerInput, RuleInput, SourceInput } from "../../lib/mind/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { parseWith, readJson } from "../read-json.ts";
import { mind, unwrap } from "./mind-stub.ts";

/** A batch of up to 5,000 history lines; the CLI splits bigger files. */
const IMPORT_LIMIT = 16 * 1024 * 1024;

const sourceParam = (name: string | undefined) => parseWith(z.string().regex(HOOK_SOURCE, "webhook sources are [a-z0-9][a-z0-9._-]{0,63}"), name);
const Limit = z.coerce.number().int().min(1).max(1000).default(100);

/** Mounted under /v1/owner/mind, behind the owner's root key. */
export const ownerMind = new Hono<AppEnv>()
  .post("/mode", async (c) => {
    const { mode } = await readJson(c, ModeInput);
    return c.json(await mind(c).setMode(mode));
  })
  .get("/hooks", async (c) => c.json({ sources: await mind(c).listSources() }))
  .put("/hooks/:source", async (c) => {
    const name = sourceParam(c.req.param("source"));
    const input = await readJson(c, SourceInput);
    const r = unwrap(await mind(c).putSource(name, input.scheme, input.secret));
    // A generated secret is shown here once; a given one is never echoed.
    return c.json({ ...r.source, ...(r.secret ? { secret: r.secret } : {}) }, r.created ? 201 : 200);
  })
  .delete("/hooks/:source", async (c) => {
    const name = sourceParam(c.req.param("source"));
    if (!(await mind(c).deleteSource(name))) throw new NotFoundError(`no webhook source ${name}`, "unknown_source");
    return c.json({ name, removed: true });
  })
  .get("/rules", async (c) => c.json({ rules: await mind(c).listRules() }))
  .post("/rules", async (c) => {
    const input = await readJson(c, RuleInput);
    return c.json(unwrap(await mind(c).addRule(input)), 201);
  })
  .delete("/rules/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await mind(c).deleteRule(id))) throw new NotFoundError(`no rule ${id}`, "rule_not_found");
    return c.json({ id, removed: true });
  })
  .get("/planner", async (c) => c.json({ planner: await mind(c).getPlanner() }))
  .put("/planner", async (c) => {
    const input = await readJson(c, PlannerInput);
    return c.json({ planner: await mind(c).setPlanner(input) });
  })
  .delete("/planner", async (c) => {
    await mind(c).setPlanner(null);
    return c.json({ planner: null });
  })
  .post("/import", async (c) => {
    const batch = await readJson(c, ImportBatch, IMPORT_LIMIT);
    const lines: ImportLineT[] = batch.tasks.map((raw, i) => {
      const r = ImportLine.safeParse(raw);
      if (r.success) return r.data;
      const issue = r.error.issues[0]!;
      throw new UnprocessableError(`tasks.${i}${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`, "invalid_input");
    });
    const report = await mind(c).importTasks(lines);
    return c.json({ imported: report.imported, skipped: report.skipped }, 201);
  })
  .get("/events", async (c) => {
    const q = parseWith(z.object({ state: z.enum(["pending", "handled", "quarantined"]).optional(), limit: Limit }), c.req.query());
    return c.json({ events: await mind(c).listEvents(q.state, q.limit) });
  })
  .get("/cycles", async (c) => {
    const q = parseWith(z.object({ limit: Limit }), c.req.query());
    return c.json({ cycles: await mind(c).cycles(q.limit) });
  });

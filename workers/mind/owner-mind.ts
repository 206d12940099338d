// /v1/owner/mind: what only the owner configures — the mode, webhook sources and their secrets,
// rules, the LLM planner, expectations, recurring schedules, the notification webhook — plus bulk
// import of task history and the logs to look into (events, cycles, alerts).
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError, PayloadTooLargeError, UnprocessableError } from "../../lib/errors.ts";
import type { ImportLine as ImportLineT, MindResult, ScheduleInfo } from "../../lib/mind/wire.ts";
import { CAPABILITY, ExpectationInput, HOOK_SOURCE, ImportBatch, ImportLine, ModeInput, NotifyInput, PlannerInput, RuleInput, ScheduleInput, SOURCE_NAME, SourceInput, SUBSYSTEM_KINDS } from "../../lib/mind/wire.ts";
import type { AppEnv } from "../app-env.ts";
import { parseWith, readJson } from "../read-json.ts";
import { mind, unwrap } from "./mind-stub.ts";

/** A batch of up to 20,000 history lines; the CLI splits bigger files. */
const IMPORT_LIMIT = 16 * 1024 * 1024;
/** A history line's payload or result, as JSON. */
const MAX_LINE_VALUE = 256 * 1024;

const sourceParam = (name: string | undefined) => parseWith(z.string().regex(HOOK_SOURCE, "webhook sources are [a-z0-9][a-z0-9._-]{0,63}"), name);
/** A subsystem's name: a capability or source name, or an agent id (same alphabet). */
const subsystemParam = (name: string | undefined) => parseWith(z.string().regex(SOURCE_NAME, "subsystem names are [a-z0-9][a-z0-9._:-]{0,63}"), name);
const scheduleParam = (name: string | undefined) => parseWith(z.string().regex(CAPABILITY, "schedule names are [a-z0-9][a-z0-9._:-]{0,63}"), name);
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
      if (r.success) {
        // One stored value stays far under the 2 MB a SQLite value may have in a Durable Object.
        for (const field of ["payload", "result"] as const) {
          const v = r.data[field];
          if (v !== undefined && JSON.stringify(v).length > MAX_LINE_VALUE) throw new PayloadTooLargeError(`tasks.${i}.${field}: larger than ${MAX_LINE_VALUE / 1024} KiB`);
        }
        return r.data;
      }
      const issue = r.error.issues[0]!;
      throw new UnprocessableError(`tasks.${i}${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`, "invalid_input");
    });
    const report = await mind(c).importTasks(lines, batch.importId, batch.final);
    return c.json(report, 201);
  })
  .get("/expectations", async (c) => c.json({ expectations: await mind(c).listExpectations() }))
  .put("/expectations/:name", async (c) => {
    const name = subsystemParam(c.req.param("name"));
    const input = await readJson(c, ExpectationInput);
    const r = unwrap(await mind(c).putExpectation(name, input));
    return c.json(r.expectation, r.created ? 201 : 200);
  })
  .delete("/expectations/:name", async (c) => {
    const name = subsystemParam(c.req.param("name"));
    const { kind } = parseWith(z.object({ kind: z.enum(SUBSYSTEM_KINDS).default("capability") }), c.req.query());
    if (!(await mind(c).removeExpectation(kind, name))) throw new NotFoundError(`no expectation for ${kind} ${name}`, "expectation_not_found");
    return c.json({ kind, name, removed: true });
  })
  .get("/schedules", async (c) => c.json({ schedules: await mind(c).listSchedules() }))
  .put("/schedules/:name", async (c) => {
    const name = scheduleParam(c.req.param("name"));
    // The name is the path's; the body holds the rest (a `name` in it is overridden).
    const body = await readJson(c, z.record(z.string(), z.unknown()));
    const r: { schedule: ScheduleInfo; created: boolean } = unwrap((await mind(c).putSchedule(parseWith(ScheduleInput, { ...body, name }))) as MindResult<{ schedule: ScheduleInfo; created: boolean }>);
    return c.json(r.schedule, r.created ? 201 : 200);
  })
  .delete("/schedules/:name", async (c) => {
    const name = scheduleParam(c.req.param("name"));
    if (!(await mind(c).removeSchedule(name))) throw new NotFoundError(`no schedule ${name}`, "schedule_not_found");
    return c.json({ name, removed: true });
  })
  .get("/notify", async (c) => c.json({ notify: await mind(c).getNotify() }))
  .put("/notify", async (c) => {
    const input = await readJson(c, NotifyInput);
    const r = unwrap(await mind(c).setNotify(input));
    // A generated signing secret is shown here once; a given one is never echoed.
    return c.json({ notify: r.notify, ...(r.secret ? { secret: r.secret } : {}) });
  })
  .delete("/notify", async (c) => {
    unwrap(await mind(c).setNotify(null));
    return c.json({ notify: null });
  })
  .get("/alerts", async (c) => {
    const q = parseWith(z.object({ limit: Limit }), c.req.query());
    return c.json(await mind(c).listAlerts(q.limit));
  })
  .get("/events", async (c) => {
    const q = parseWith(z.object({ state: z.enum(["pending", "handled", "quarantined"]).optional(), limit: Limit }), c.req.query());
    return c.json({ events: await mind(c).listEvents(q.state, q.limit) });
  })
  .get("/cycles", async (c) => {
    const q = parseWith(z.object({ limit: Limit }), c.req.query());
    return c.json({ cycles: await mind(c).cycles(q.limit) });
  });

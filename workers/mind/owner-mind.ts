// /v1/owner/mind: what only the owner configures — the mode, webhook sources and their secrets,
// rules, the LLM planner, expectations, recurring schedules, the notification webhook — plus bulk
// import of task history and the logs to look into (events, cycles, alerts).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { NotFoundError, PayloadTooLargeError } from "../../lib/errors.ts";
import {
  AlertsBody,
  CyclesBody,
  EventsBody,
  ExpectationBody,
  ExpectationsBody,
  ImportReportBody,
  ModeBody,
  NotifyBody,
  PlannerBody,
  RemovedBody,
  RuleBody,
  RulesBody,
  ScheduleInfoBody,
  SchedulesBody,
  SourceSetBody,
  SourcesBody,
} from "../../lib/mind/responses.ts";
import type { MindResult, ScheduleInfo } from "../../lib/mind/wire.ts";
import {
  EventsQuery,
  ExpectationInput,
  ExpectationRemoveQuery,
  HookSourceParams,
  ImportBatch,
  ImportLine,
  LimitQuery,
  ModeInput,
  NotifyInput,
  PlannerInput,
  RuleIdParams,
  RuleInput,
  ScheduleBody,
  ScheduleInput,
  ScheduleParams,
  SourceInput,
  SubsystemParams,
  SUBSYSTEM_KINDS,
} from "../../lib/mind/wire.ts";
import { randomId } from "../../lib/keys.ts";
import { importRow } from "../../lib/mind/import-rows.ts";
import { unwrap } from "../../lib/rpc-result.ts";
import { auditChange } from "../audit/audit-change.ts";
import { jsonBody } from "../http/json-body.ts";
import { openApp } from "../http/open-app.ts";
import { parseWith } from "../http/parse-with.ts";
import { json, returns } from "../http/route-parts.ts";
import { mind } from "./mind-stub.ts";

/** A batch of up to 20,000 history lines; the CLI splits bigger files. */
const IMPORT_LIMIT = 16 * 1024 * 1024;
/** A history line's payload or result, as JSON. */
const MAX_LINE_VALUE = 256 * 1024;

const setMode = createRoute({ method: "post", path: "/mode", middleware: [jsonBody()], request: { body: json(ModeInput) }, responses: { 200: returns(ModeBody, "the mode, and the one before") } });
const listHooks = createRoute({ method: "get", path: "/hooks", responses: { 200: returns(SourcesBody, "webhook sources, never their secrets") } });
const putHook = createRoute({
  method: "put",
  path: "/hooks/{source}",
  middleware: [jsonBody()],
  request: { params: HookSourceParams, body: json(SourceInput) },
  responses: { 200: returns(SourceSetBody, "the source, replaced"), 201: returns(SourceSetBody, "the source; a generated secret is shown only here") },
});
const deleteHook = createRoute({ method: "delete", path: "/hooks/{source}", request: { params: HookSourceParams }, responses: { 200: returns(RemovedBody({ name: z.string() }), "removed") } });
const listRules = createRoute({ method: "get", path: "/rules", responses: { 200: returns(RulesBody, "rules") } });
const addRule = createRoute({ method: "post", path: "/rules", middleware: [jsonBody()], request: { body: json(RuleInput) }, responses: { 201: returns(RuleBody, "the rule") } });
const deleteRule = createRoute({ method: "delete", path: "/rules/{id}", request: { params: RuleIdParams }, responses: { 200: returns(RemovedBody({ id: z.string() }), "removed") } });
const getPlanner = createRoute({ method: "get", path: "/planner", responses: { 200: returns(PlannerBody, "the planner's settings (null: off)") } });
const putPlanner = createRoute({ method: "put", path: "/planner", middleware: [jsonBody()], request: { body: json(PlannerInput) }, responses: { 200: returns(PlannerBody, "the planner's settings") } });
const deletePlanner = createRoute({ method: "delete", path: "/planner", responses: { 200: returns(PlannerBody, "the planner is off") } });
// Each history line is checked on its own, so that a 422 names the line: `body.tasks.3.title: …`.
const importTasks = createRoute({ method: "post", path: "/import", middleware: [jsonBody(IMPORT_LIMIT)], request: { body: json(ImportBatch) }, responses: { 201: returns(ImportReportBody, "the import's report") } });
const listExpectations = createRoute({ method: "get", path: "/expectations", responses: { 200: returns(ExpectationsBody, "expectations") } });
const putExpectation = createRoute({
  method: "put",
  path: "/expectations/{name}",
  middleware: [jsonBody()],
  request: { params: SubsystemParams, body: json(ExpectationInput) },
  responses: { 200: returns(ExpectationBody, "the expectation, replaced"), 201: returns(ExpectationBody, "the expectation") },
});
const deleteExpectation = createRoute({ method: "delete", path: "/expectations/{name}", request: { params: SubsystemParams, query: ExpectationRemoveQuery }, responses: { 200: returns(RemovedBody({ kind: z.enum(SUBSYSTEM_KINDS), name: z.string() }), "removed") } });
const listSchedules = createRoute({ method: "get", path: "/schedules", responses: { 200: returns(SchedulesBody, "recurring schedules") } });
// The name is the path's; the body holds the rest (a `name` in it is overridden).
const putSchedule = createRoute({
  method: "put",
  path: "/schedules/{name}",
  middleware: [jsonBody()],
  request: { params: ScheduleParams, body: json(ScheduleBody) },
  responses: { 200: returns(ScheduleInfoBody, "the schedule, replaced"), 201: returns(ScheduleInfoBody, "the schedule") },
});
const deleteSchedule = createRoute({ method: "delete", path: "/schedules/{name}", request: { params: ScheduleParams }, responses: { 200: returns(RemovedBody({ name: z.string() }), "removed") } });
const getNotify = createRoute({ method: "get", path: "/notify", responses: { 200: returns(NotifyBody, "the notification webhook (null: none)") } });
const putNotify = createRoute({ method: "put", path: "/notify", middleware: [jsonBody()], request: { body: json(NotifyInput) }, responses: { 200: returns(NotifyBody, "the notification webhook; a generated secret is shown only here") } });
const deleteNotify = createRoute({ method: "delete", path: "/notify", responses: { 200: returns(NotifyBody, "no notification webhook") } });
const alerts = createRoute({ method: "get", path: "/alerts", request: { query: LimitQuery }, responses: { 200: returns(AlertsBody, "alerts, and the deliveries still owed") } });
const events = createRoute({ method: "get", path: "/events", request: { query: EventsQuery }, responses: { 200: returns(EventsBody, "webhook events") } });
const cycles = createRoute({ method: "get", path: "/cycles", request: { query: LimitQuery }, responses: { 200: returns(CyclesBody, "the cycle log, newest first") } });

/** Mounted under /v1/owner/mind, behind the owner's root key. */
export const ownerMind = openApp()
  .openapi(setMode, async (c) => {
    const { mode } = c.req.valid("json");
    const r = await mind(c).setMode(mode);
    await auditChange(c, "mind.mode", mode);
    return c.json(r, 200);
  })
  .openapi(listHooks, async (c) => c.json({ sources: await mind(c).listSources() }, 200))
  .openapi(putHook, async (c) => {
    const { source } = c.req.valid("param");
    const input = c.req.valid("json");
    const r = unwrap(await mind(c).putSource(source, input.scheme, input.secret));
    await auditChange(c, "hook.set", source, { scheme: input.scheme, secret: input.secret ? "given" : "generated", created: r.created }, r.created ? 201 : 200);
    // A generated secret is shown here once; a given one is never echoed.
    const body = { ...r.source, ...(r.secret ? { secret: r.secret } : {}) };
    return r.created ? c.json(body, 201) : c.json(body, 200);
  })
  .openapi(deleteHook, async (c) => {
    const { source } = c.req.valid("param");
    if (!(await mind(c).deleteSource(source))) throw new NotFoundError(`no webhook source ${source}`, "unknown_source");
    await auditChange(c, "hook.remove", source);
    return c.json({ name: source, removed: true }, 200);
  })
  .openapi(listRules, async (c) => c.json({ rules: await mind(c).listRules() }, 200))
  .openapi(addRule, async (c) => {
    const input = c.req.valid("json");
    const rule = unwrap(await mind(c).addRule(input));
    await auditChange(c, "rule.add", String(rule.id), { ...input }, 201);
    return c.json(rule, 201);
  })
  .openapi(deleteRule, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await mind(c).deleteRule(id))) throw new NotFoundError(`no rule ${id}`, "rule_not_found");
    await auditChange(c, "rule.remove", String(id));
    return c.json({ id, removed: true }, 200);
  })
  .openapi(getPlanner, async (c) => c.json({ planner: await mind(c).getPlanner() }, 200))
  .openapi(putPlanner, async (c) => {
    const planner = await mind(c).setPlanner(c.req.valid("json"));
    await auditChange(c, "planner.set", null, { ...planner });
    return c.json({ planner }, 200);
  })
  .openapi(deletePlanner, async (c) => {
    await mind(c).setPlanner(null);
    await auditChange(c, "planner.remove", null);
    return c.json({ planner: null }, 200);
  })
  .openapi(importTasks, async (c) => {
    const batch = c.req.valid("json");
    const lines = batch.tasks.map((raw, i) => {
      const line = parseWith(ImportLine, raw, `body.tasks.${i}`);
      // One stored value stays far under the 2 MB a SQLite value may have in a Durable Object.
      for (const field of ["payload", "result"] as const) {
        const v = line[field];
        if (v !== undefined && JSON.stringify(v).length > MAX_LINE_VALUE) throw new PayloadTooLargeError(`body.tasks.${i}.${field}: larger than ${MAX_LINE_VALUE / 1024} KiB`);
      }
      return importRow(line, () => `t_${randomId()}`);
    });
    const report = await mind(c).importTasks(lines, batch.importId, batch.final);
    await auditChange(c, "mind.import", batch.importId ?? null, { lines: lines.length, final: batch.final }, 201);
    return c.json(report, 201);
  })
  .openapi(listExpectations, async (c) => c.json({ expectations: await mind(c).listExpectations() }, 200))
  .openapi(putExpectation, async (c) => {
    const { name } = c.req.valid("param");
    const input = c.req.valid("json");
    const r = unwrap(await mind(c).putExpectation(name, input));
    await auditChange(c, "expectation.set", name, { ...input, created: r.created }, r.created ? 201 : 200);
    return r.created ? c.json(r.expectation, 201) : c.json(r.expectation, 200);
  })
  .openapi(deleteExpectation, async (c) => {
    const { name } = c.req.valid("param");
    const { kind } = c.req.valid("query");
    if (!(await mind(c).removeExpectation(kind, name))) throw new NotFoundError(`no expectation for ${kind} ${name}`, "expectation_not_found");
    await auditChange(c, "expectation.remove", name, { kind });
    return c.json({ kind, name, removed: true }, 200);
  })
  .openapi(listSchedules, async (c) => c.json({ schedules: (await mind(c).listSchedules()) as ScheduleInfo[] }, 200))
  .openapi(putSchedule, async (c) => {
    const { name } = c.req.valid("param");
    const input = parseWith(ScheduleInput, { ...c.req.valid("json"), name });
    const r: { schedule: ScheduleInfo; created: boolean } = unwrap((await mind(c).putSchedule(input)) as MindResult<{ schedule: ScheduleInfo; created: boolean }>);
    const { payload: _payload, ...what } = input; // the payload is the task's, not a setting
    await auditChange(c, "schedule.set", name, { ...what, created: r.created }, r.created ? 201 : 200);
    return r.created ? c.json(r.schedule, 201) : c.json(r.schedule, 200);
  })
  .openapi(deleteSchedule, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await mind(c).removeSchedule(name))) throw new NotFoundError(`no schedule ${name}`, "schedule_not_found");
    await auditChange(c, "schedule.remove", name);
    return c.json({ name, removed: true }, 200);
  })
  .openapi(getNotify, async (c) => c.json({ notify: await mind(c).getNotify() }, 200))
  .openapi(putNotify, async (c) => {
    const input = c.req.valid("json");
    const r = unwrap(await mind(c).setNotify(input));
    await auditChange(c, "notify.set", input.service, { url: input.url, secret: input.secret ? "given" : "generated" });
    // A generated signing secret is shown here once; a given one is never echoed.
    return c.json({ notify: r.notify, ...(r.secret ? { secret: r.secret } : {}) }, 200);
  })
  .openapi(deleteNotify, async (c) => {
    unwrap(await mind(c).setNotify(null));
    await auditChange(c, "notify.remove", null);
    return c.json({ notify: null }, 200);
  })
  .openapi(alerts, async (c) => c.json(await mind(c).listAlerts(c.req.valid("query").limit), 200))
  .openapi(events, async (c) => {
    const q = c.req.valid("query");
    return c.json({ events: await mind(c).listEvents(q.state, q.limit) }, 200);
  })
  .openapi(cycles, async (c) => c.json({ cycles: await mind(c).cycles(c.req.valid("query").limit) }, 200));

// The mind's answers as the OpenAPI document describes them (workers/mind, workers/hooks). The
// routes declare these, so the type checker holds each handler's body to its schema and the
// contract test (test/workers/openapi.test.ts) holds the live answers to the document.
import { z } from "zod";
import { AgentUsageBody } from "../agents/responses.ts";
import { MODES, SUBSYSTEM_KINDS, WEBHOOK_SCHEMES } from "./wire.ts";

const at = z.number().nullable();
const Kind = z.enum(SUBSYSTEM_KINDS);
const Regime = z.enum(["flow", "coercion", "chaos", "stall", "no_signal"]);
const Signal = z.enum(["ok", "no_signal"]);

export const ModeBody = z.object({ mode: z.enum(MODES), previous: z.enum(MODES) });

export const SourceBody = z.object({ name: z.string(), scheme: z.enum(WEBHOOK_SCHEMES), createdAt: z.number(), updatedAt: z.number() });
/** A generated secret is shown once, when the source is made; a given one is never echoed. */
export const SourceSetBody = SourceBody.extend({ secret: z.string().optional() });

export const RuleBody = z.object({
  id: z.string(),
  source: z.string(),
  event: z.string(),
  capability: z.string(),
  title: z.string(),
  priority: z.number().optional(),
  deadlineInMs: z.number().optional(),
  createdAt: z.number(),
});

export const PlannerBody = z.object({
  planner: z.object({ model: z.string(), credential: z.string().nullable(), path: z.string(), enabled: z.boolean(), maxEvents: z.number() }).nullable(),
});

export const ImportReportBody = z.object({ imported: z.number(), skipped: z.number(), importId: z.string(), open: z.boolean() });

export const ExpectationBody = z.object({ kind: Kind, name: z.string(), everyMs: at, cron: z.string().nullable(), tz: z.string().nullable(), graceMs: z.number(), createdAt: z.number() });

export const ScheduleInfoBody = z.object({
  name: z.string(),
  cron: z.string(),
  tz: z.string(),
  capability: z.string(),
  title: z.string(),
  payload: z.unknown().optional(),
  priority: z.number().optional(),
  deadlineInMs: z.number().optional(),
  createdAt: z.number(),
  nextAt: at,
  lastRunAt: at,
  runs: z.number(),
  missedRuns: z.number(),
});

const NotifyInfo = z.object({ service: z.string(), url: z.string(), createdAt: z.number() });
/** A generated signing secret is shown once; a given one is never echoed. */
export const NotifyBody = z.object({ notify: NotifyInfo.nullable(), secret: z.string().optional() });

export const AlertsBody = z.object({
  alerts: z.array(
    z.object({
      key: z.string(),
      type: z.string(),
      condition: z.string(),
      subsystem: z.object({ kind: Kind, name: z.string() }).nullable(),
      since: at,
      openedAt: z.number(),
      closedAt: at,
      sends: z.number(),
      nextReminderAt: at,
    }),
  ),
  undelivered: z.array(z.object({ id: z.string(), type: z.string(), attempts: z.number(), hook: z.string(), bus: z.boolean(), lastError: z.string().nullable() })),
});

export const EventsBody = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      deliveryId: z.string(),
      type: z.string(),
      receivedAt: z.number(),
      state: z.enum(["pending", "handled", "quarantined"]),
      attempts: z.number(),
      error: z.string().nullable(),
      handledAt: at,
      tasks: z.array(z.string()),
    }),
  ),
});

const Pulse = z.object({
  signal: Signal,
  C: at,
  slow: at,
  drift: at,
  backlog: z.number(),
  regime: Regime,
  flagged: z.object({ stalled: z.number(), failing: z.number(), missed: z.number() }),
  window: z.object({ ms: z.number(), done: z.number(), failed: z.number(), expired: z.number(), ratio: at }),
});

const Watch = z.object({
  late: z.boolean(),
  reason: z.enum(["alarm_late", "alarm_not_armed", "cycles_failing"]).nullable(),
  lateByMs: at,
  dueAt: at,
  alarmAt: at,
  failedCycles: z.number(),
  lastCycleAt: at,
});

export const CycleBody = z.object({
  id: z.number(),
  startedAt: z.number(),
  endedAt: at,
  ok: z.boolean(),
  trigger: z.array(z.string()),
  did: z.record(z.string(), z.number()),
  pulse: Pulse.nullable(),
  error: z.string().nullable(),
});
export const CyclesBody = z.object({ cycles: z.array(CycleBody) });

export const MindStatusBody = z.object({
  state: z.enum(["resting", "awake"]),
  mode: z.enum(MODES),
  cycles: z.number(),
  lastCycle: CycleBody.nullable(),
  nextWakeAt: at,
  watch: Watch,
  openImports: z.number(),
});

const Outcomes = z.object({ done: z.number(), failed: z.number(), expired: z.number(), ratio: at });
const Subsystem = z.object({
  kind: Kind,
  name: z.string(),
  flags: z.array(z.enum(["stalled", "failing", "missed"])),
  open: z.number(),
  waitingSince: at,
  lastProgressAt: at,
  lastDoneAt: at,
  pace: z.object({ ms: at, basis: z.enum(["declared", "learned", "default"]), intervals: z.number(), confidence: z.enum(["high", "medium", "low"]) }),
  stalled: z.boolean(),
  stalledSince: at,
  stallReason: z.enum(["no_progress", "missed_deadline"]).nullable(),
  stallThresholdMs: z.number(),
  failing: z.boolean(),
  failingSince: at,
  outcomes: z.object({ windowMs: z.number(), window: Outcomes, evidence: Outcomes }),
  expectation: z.object({ everyMs: at, cron: z.string().nullable(), tz: z.string().nullable(), graceMs: z.number(), expectedBy: at }).nullable(),
  missed: z.boolean(),
  missedSince: at,
  evaluatedAt: z.number(),
});

export const CoherenceBody = z.object({
  at: z.number(),
  mode: z.enum(MODES),
  watch: Watch,
  pulse: Pulse,
  flagged: z.array(Subsystem),
  stalled: z.array(Subsystem),
  subsystems: z.array(Subsystem),
  history: z.array(z.object({ cycle: z.number(), at: z.number(), C: at, drift: at, backlog: z.number(), regime: Regime, signal: Signal })),
  /** The agents' usage beside the pulse; null when libSQL could not be read. */
  agents: z.array(AgentUsageBody).nullable(),
});

export const CheckinBody = z.object({ name: z.string(), state: z.enum(["start", "success", "fail"]), run: z.string(), at: z.number() });
export const HookAcceptedBody = z.object({ eventId: z.string() });

export const SourcesBody = z.object({ sources: z.array(SourceBody) });
export const RulesBody = z.object({ rules: z.array(RuleBody) });
export const ExpectationsBody = z.object({ expectations: z.array(ExpectationBody) });
export const SchedulesBody = z.object({ schedules: z.array(ScheduleInfoBody) });
export const RemovedBody = <T extends z.ZodRawShape>(shape: T) => z.object({ ...shape, removed: z.literal(true) });

// The mind's wire shapes, shared by the Worker's routes, the Mind object and the CLI: the work
// ledger's tasks, webhook sources, rules, the planner's settings and what the mind reports.
import { z } from "zod";
import { JsonValue } from "../json-value.ts";
import { CREDENTIAL_NAME } from "../credentials.ts";
import { checkCron, CronError } from "./cron.ts";
import { parseDuration } from "./duration.ts";
import type { OutcomeCounts } from "./failing.ts";
import type { Pace } from "./stall.ts";

export const TASK_STATES = ["open", "dispatched", "claimed", "done", "failed", "expired"] as const;
export type TaskState = (typeof TASK_STATES)[number];
/** Work the organism still owes: counted in the backlog, watched for stalls. */
export const OPEN_STATES = ["open", "dispatched", "claimed"] as const satisfies readonly TaskState[];
export const TERMINAL_STATES = ["done", "failed", "expired"] as const satisfies readonly TaskState[];
export const isTerminal = (s: TaskState) => (TERMINAL_STATES as readonly TaskState[]).includes(s);

export const MODES = ["observe", "govern"] as const;
export type Mode = (typeof MODES)[number];

export const CAPABILITY = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
export const SOURCE_NAME = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
export const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const HOOK_SOURCE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const capability = z.string().regex(CAPABILITY, "capabilities are [a-z0-9][a-z0-9._:-]{0,63}");
const sourceName = z.string().regex(SOURCE_NAME, "sources are [a-z0-9][a-z0-9._:-]{0,63}");
const priority = z.number().int().min(0).max(9);

/** A moment: milliseconds since the epoch, or an ISO 8601 date-time with an offset. */
export const Time = z.union([
  z.number().int().min(0).max(8_640_000_000_000_000),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const TaskInput = z
  .object({
    title: z.string().min(1).max(500),
    capability,
    payload: JsonValue.optional(),
    /** The caller's own label for where the work comes from; `source` is always who asked (issue 9.10). */
    label: z.string().min(1).max(200).optional(),
    priority: priority.optional(),
    /** An absolute deadline, or `deadlineInMs` from now on the mind's clock; not both. */
    deadline: Time.optional(),
    deadlineInMs: z.number().int().min(1).max(366 * 86_400_000).optional(),
  })
  .strict()
  .refine((t) => t.deadline === undefined || t.deadlineInMs === undefined, "give deadline or deadlineInMs, not both");
export type TaskInput = z.output<typeof TaskInput>;

export const ProgressInput = z.object({ note: z.string().max(2000).optional() }).strict();
export const CompleteInput = z.object({ result: JsonValue.optional() }).strict();
export const FailInput = z.object({ reason: z.string().min(1).max(2000), retryable: z.boolean().default(false) }).strict();

/** One line of `seed work import`: a task as it was, with its past timestamps. */
export const ImportLine = z
  .object({
    id: z.string().regex(TASK_ID, "task ids are [A-Za-z0-9][A-Za-z0-9._:-]{0,127}").optional(),
    title: z.string().min(1).max(500),
    capability,
    payload: JsonValue.optional(),
    source: sourceName.optional(),
    priority: priority.optional(),
    createdAt: Time,
    deadline: Time.optional(),
    state: z.enum(TASK_STATES),
    assignee: z.string().min(1).max(128).optional(),
    attempts: z.number().int().min(0).max(1000).optional(),
    result: JsonValue.optional(),
    reason: z.string().max(2000).optional(),
    /** When the task reached its terminal state; required for done, failed and expired. */
    finishedAt: Time.optional(),
    /** When an agent last showed progress on it (a claim or a heartbeat). */
    progressAt: Time.optional(),
  })
  .strict()
  .refine((t) => !isTerminal(t.state) || t.finishedAt !== undefined, { message: "finishedAt is required for done, failed and expired", path: ["finishedAt"] })
  .refine((t) => t.finishedAt === undefined || t.finishedAt >= t.createdAt, { message: "finishedAt is before createdAt", path: ["finishedAt"] });
export type ImportLine = z.output<typeof ImportLine>;

export const MAX_IMPORT_BATCH = 20_000;
export const IMPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/**
 * One request of an import. Batches with the same `importId` are one unit: the mind evaluates
 * what they touch only once the batch with `final: true` arrived (or the import went quiet).
 */
export const ImportBatch = z
  .object({
    tasks: z.array(z.unknown()).max(MAX_IMPORT_BATCH),
    importId: z.string().regex(IMPORT_ID, "import ids are [A-Za-z0-9][A-Za-z0-9._:-]{0,63}").optional(),
    final: z.boolean().default(true),
  })
  .strict()
  .refine((b) => b.tasks.length > 0 || b.importId !== undefined, { message: "an import needs at least one task (or an importId to finish)", path: ["tasks"] });

const cronSpec = (v: { cron?: string; tz?: string }, ctx: z.RefinementCtx) => {
  if (v.cron === undefined) return;
  try {
    checkCron({ cron: v.cron, tz: v.tz ?? "UTC" });
  } catch (err) {
    ctx.addIssue({ code: "custom", path: ["cron"], message: err instanceof CronError ? err.message : "not a cron expression" });
  }
};
const DAY_MS = 86_400_000;
const period = z.number().int().min(60_000).max(366 * DAY_MS);
const cronText = z.string().min(9).max(200);
const tz = z.string().min(1).max(64).regex(/^[A-Za-z0-9_+\-/]+$/, "a time zone like UTC or Europe/Paris");

export const SUBSYSTEM_KINDS = ["capability", "agent", "source"] as const;

/** `seed expect NAME`: completions at least every N (or on a cron), with a grace. */
export const ExpectationInput = z
  .object({
    kind: z.enum(SUBSYSTEM_KINDS).default("capability"),
    everyMs: period.optional(),
    cron: cronText.optional(),
    tz: tz.optional(),
    graceMs: z.number().int().min(0).max(30 * DAY_MS).optional(),
  })
  .strict()
  .refine((e) => (e.everyMs === undefined) !== (e.cron === undefined), { message: "give everyMs or cron, exactly one", path: ["everyMs"] })
  .refine((e) => e.tz === undefined || e.cron !== undefined, { message: "tz applies to a cron only", path: ["tz"] })
  .superRefine(cronSpec);
export type ExpectationInput = z.output<typeof ExpectationInput>;

/** `seed schedule add`: recurring work made by the mind's own alarm. */
export const ScheduleInput = z
  .object({
    name: z.string().regex(SOURCE_NAME, "schedule names are [a-z0-9][a-z0-9._:-]{0,63}"),
    cron: cronText,
    tz: tz.default("UTC"),
    capability,
    title: z.string().min(1).max(500),
    payload: JsonValue.optional(),
    priority: priority.optional(),
    deadlineInMs: z.number().int().min(1).max(366 * DAY_MS).optional(),
  })
  .strict()
  .superRefine(cronSpec);
export type ScheduleInput = z.output<typeof ScheduleInput>;

/** A check-in (Healthchecks-style) from any script with a key that may check in under this name. */
export const CHECKIN_STATES = ["start", "success", "fail"] as const;
export const CheckinInput = z
  .object({
    state: z.enum(CHECKIN_STATES).default("success"),
    /** The run a `start` answered with; without it, success/fail close the latest open run. */
    run: z.string().regex(TASK_ID).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();
export type CheckinInput = z.output<typeof CheckinInput>;

/** The outbound notification webhook: a declared egress service, signed with Standard Webhooks. */
export const NotifyInput = z
  .object({
    /** A service the owner declared (`seed services set NAME --url …`): the only way out. */
    service: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, "a service name like ALERTS"),
    /** The URL the receiver expects (its host goes in the Host header, its path is posted to). */
    url: z.url({ protocol: /^https?$/ }).max(2000),
    /** whsec_… ; omit to have the seed generate one (shown once). */
    secret: z.string().min(16).max(512).optional(),
  })
  .strict();
export type NotifyInput = z.output<typeof NotifyInput>;

export const WEBHOOK_SCHEMES = ["standard-webhooks", "github"] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

export const SourceInput = z
  .object({
    scheme: z.enum(WEBHOOK_SCHEMES),
    /** Omit to have the seed generate one (returned once). Standard Webhooks secrets are `whsec_<base64>`. */
    secret: z.string().min(16).max(512).optional(),
  })
  .strict();

export const RuleInput = z
  .object({
    source: z.string().regex(HOOK_SOURCE, "webhook sources are [a-z0-9][a-z0-9._-]{0,63}"),
    /** The event type, exact or a glob with `*` (e.g. `invoice.*`, `*`). */
    event: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:*-]+$/, "event types are letters, digits, _ . : - and *"),
    capability,
    /** `{{path}}` placeholders read the event: type, source, id, data (the JSON body). */
    title: z.string().min(1).max(500),
    priority: priority.optional(),
    deadlineInMs: z.number().int().min(1).max(366 * 86_400_000).optional(),
  })
  .strict();
export type RuleInput = z.output<typeof RuleInput>;

export const PlannerInput = z
  .object({
    model: z.string().min(1).max(200),
    /** Name of a credential (`seed credentials set`) sent as the Bearer key; none for a keyless local endpoint. */
    credential: z.string().regex(CREDENTIAL_NAME).nullable().default(null),
    path: z.string().regex(/^\/[A-Za-z0-9/._-]{0,200}$/).default("/v1/chat/completions"),
    enabled: z.boolean().default(true),
    maxEvents: z.number().int().min(1).max(200).default(50),
  })
  .strict();
export type PlannerConfig = z.output<typeof PlannerInput>;

export const ModeInput = z.object({ mode: z.enum(MODES) }).strict();

export const TASK_ORIGINS = ["api", "rule", "planner", "schedule", "checkin", "import"] as const;
export type TaskOrigin = (typeof TASK_ORIGINS)[number];

export type Task = {
  id: string;
  title: string;
  capability: string;
  payload: unknown;
  /** Who asked for it: owner, agent:<id>, helper:<id>, a webhook source, schedule:<name>, or as imported. */
  source: string;
  label: string | null;
  /** How it came to be: api, rule, planner, schedule, checkin or import. */
  origin: TaskOrigin;
  priority: number;
  createdAt: number;
  deadline: number | null;
  state: TaskState;
  assignee: string | null;
  attempts: number;
  result: unknown;
  reason: string | null;
  finishedAt: number | null;
  updatedAt: number;
  leaseUntil: number | null;
  eventId: string | null;
};

export type TaskChange = { seq: number; at: number; state: TaskState | "progress" | "waiting"; actor: string; note: string | null };

export type Rule = RuleInput & { id: string; createdAt: number };
export type SourceInfo = { name: string; scheme: WebhookScheme; createdAt: number; updatedAt: number };

export type Regime = "flow" | "coercion" | "chaos" | "stall" | "no_signal";
export type SubsystemKind = (typeof SUBSYSTEM_KINDS)[number];
export type SubsystemFlag = "stalled" | "failing" | "missed";
export type { OutcomeCounts, Pace };

/** One subsystem as the last evaluation saw it (README "The mind" documents every field). */
export type Subsystem = {
  kind: SubsystemKind;
  name: string;
  flags: SubsystemFlag[];
  open: number;
  waitingSince: number | null;
  lastProgressAt: number | null;
  lastDoneAt: number | null;
  pace: Pace;
  stalled: boolean;
  stalledSince: number | null;
  stallReason: "no_progress" | "missed_deadline" | null;
  stallThresholdMs: number;
  failing: boolean;
  failingSince: number | null;
  outcomes: { windowMs: number; window: OutcomeCounts; evidence: OutcomeCounts };
  expectation: { everyMs: number | null; cron: string | null; tz: string | null; graceMs: number; expectedBy: number | null } | null;
  missed: boolean;
  missedSince: number | null;
  evaluatedAt: number;
};

export type Pulse = {
  signal: "ok" | "no_signal";
  C: number | null;
  slow: number | null;
  drift: number | null;
  backlog: number;
  regime: Regime;
  /** Subsystems flagged now: any of them keeps the regime from being `flow`. */
  flagged: { stalled: number; failing: number; missed: number };
  window: { ms: number; done: number; failed: number; expired: number; ratio: number | null };
};

/** Is the watcher itself on time? (README "The mind": the watcher is watched.) */
export type Watch = {
  late: boolean;
  reason: "alarm_late" | "alarm_not_armed" | "cycles_failing" | null;
  lateByMs: number | null;
  /** The earliest schedule row (what the alarm should point at). */
  dueAt: number | null;
  alarmAt: number | null;
  failedCycles: number;
  lastCycleAt: number | null;
};

export type CycleRecord = {
  id: number;
  startedAt: number;
  endedAt: number | null;
  ok: boolean;
  trigger: string[];
  did: Record<string, number>;
  pulse: Pulse | null;
  error: string | null;
};

export type MindStatus = {
  state: "resting" | "awake";
  mode: Mode;
  cycles: number;
  lastCycle: CycleRecord | null;
  nextWakeAt: number | null;
  watch: Watch;
  /** Imports still open: what they touched is evaluated once they finish. */
  openImports: number;
};

export type CoherenceReport = {
  at: number;
  mode: Mode;
  watch: Watch;
  pulse: Pulse;
  /** Every subsystem with at least one flag, oldest flag first. */
  flagged: Subsystem[];
  stalled: Subsystem[];
  subsystems: Subsystem[];
  history: { cycle: number; at: number; C: number | null; drift: number | null; backlog: number; regime: Regime; signal: Pulse["signal"] }[];
};

export type ExpectationInfo = { kind: SubsystemKind; name: string; everyMs: number | null; cron: string | null; tz: string | null; graceMs: number; createdAt: number };
export type ScheduleInfo = {
  name: string;
  cron: string;
  tz: string;
  capability: string;
  title: string;
  payload?: unknown;
  priority?: number;
  deadlineInMs?: number;
  createdAt: number;
  nextAt: number | null;
  lastRunAt: number | null;
  runs: number;
  missedRuns: number;
};
export type NotifyInfo = { service: string; url: string; createdAt: number };
export type AlertInfo = { key: string; type: string; condition: string; subsystem: { kind: SubsystemKind; name: string } | null; since: number | null; openedAt: number; closedAt: number | null; sends: number; nextReminderAt: number | null };

export type { RpcError as MindError, RpcResult as MindResult } from "../rpc-result.ts";

// ---- HTTP request shapes (workers/work, workers/mind, workers/hooks)

export const WorkListQuery = z.object({
  state: z.enum(TASK_STATES).optional(),
  capability: z.string().regex(CAPABILITY).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(0).optional(),
});

/** A task id in the path; one that is not a task id is answered 404 by the route, like any unknown task. */
export const TaskIdParams = z.object({ id: z.string() });
export const EmptyInput = z.object({}).strict();

export const HookSourceParams = z.object({ source: z.string().regex(HOOK_SOURCE, "webhook sources are [a-z0-9][a-z0-9._-]{0,63}") });
/** The path of POST /v1/hooks/:source: an unknown or malformed name is simply not a source (404). */
export const HookDeliveryParams = z.object({ source: z.string() });
export const RuleIdParams = z.object({ id: z.string() });
/** A subsystem's name: a capability or source name, or an agent id (same alphabet). */
export const SubsystemParams = z.object({ name: z.string().regex(SOURCE_NAME, "subsystem names are [a-z0-9][a-z0-9._:-]{0,63}") });
export const ExpectationRemoveQuery = z.object({ kind: z.enum(SUBSYSTEM_KINDS).default("capability") });
export const ScheduleParams = z.object({ name: z.string().regex(CAPABILITY, "schedule names are [a-z0-9][a-z0-9._:-]{0,63}") });
/** PUT /v1/owner/mind/schedules/:name: a schedule without its name (the path's). */
export const ScheduleBody = z.record(z.string(), z.unknown());
export const CheckinParams = z.object({ name: z.string().regex(CAPABILITY, "check-in names are [a-z0-9][a-z0-9._:-]{0,63}") });

const Limit = z.coerce.number().int().min(1).max(1000).default(100);
export const EventsQuery = z.object({ state: z.enum(["pending", "handled", "quarantined"]).optional(), limit: Limit });
export const LimitQuery = z.object({ limit: Limit });

const MAX_WINDOW_MS = 366 * 86_400_000;
export const CoherenceQuery = z.object({
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

// Response shapes of /v1/work, for the OpenAPI document (workers/work/work-routes.ts). The
// routes' handlers return Task; the typecheck holds the two together.
export const TaskBody = z.object({
  id: z.string(),
  title: z.string(),
  capability: z.string(),
  payload: z.unknown(),
  source: z.string(),
  label: z.string().nullable(),
  origin: z.enum(TASK_ORIGINS),
  priority: z.number(),
  createdAt: z.number(),
  deadline: z.number().nullable(),
  state: z.enum(TASK_STATES),
  assignee: z.string().nullable(),
  attempts: z.number().int(),
  result: z.unknown(),
  reason: z.string().nullable(),
  finishedAt: z.number().nullable(),
  updatedAt: z.number(),
  leaseUntil: z.number().nullable(),
  eventId: z.string().nullable(),
});
export const TaskChangeBody = z.object({
  seq: z.number().int(),
  at: z.number(),
  state: z.enum([...TASK_STATES, "progress", "waiting"]),
  actor: z.string(),
  note: z.string().nullable(),
});
export const TaskWithHistory = TaskBody.extend({ history: z.array(TaskChangeBody) });

// The mind's wire shapes, shared by the Worker's routes, the Mind object and the CLI: the work
// ledger's tasks, webhook sources, rules, the planner's settings and what the mind reports.
import { z } from "zod";
import { CREDENTIAL_NAME } from "../credentials.ts";

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
    payload: z.json().optional(),
    source: sourceName.optional(),
    priority: priority.optional(),
    /** An absolute deadline, or `deadlineInMs` from now on the mind's clock; not both. */
    deadline: Time.optional(),
    deadlineInMs: z.number().int().min(1).max(366 * 86_400_000).optional(),
  })
  .strict()
  .refine((t) => t.deadline === undefined || t.deadlineInMs === undefined, "give deadline or deadlineInMs, not both");
export type TaskInput = z.output<typeof TaskInput>;

export const ProgressInput = z.object({ note: z.string().max(2000).optional() }).strict();
export const CompleteInput = z.object({ result: z.json().optional() }).strict();
export const FailInput = z.object({ reason: z.string().min(1).max(2000), retryable: z.boolean().default(false) }).strict();

/** One line of `seed work import`: a task as it was, with its past timestamps. */
export const ImportLine = z
  .object({
    id: z.string().regex(TASK_ID, "task ids are [A-Za-z0-9][A-Za-z0-9._:-]{0,127}").optional(),
    title: z.string().min(1).max(500),
    capability,
    payload: z.json().optional(),
    source: sourceName.optional(),
    priority: priority.optional(),
    createdAt: Time,
    deadline: Time.optional(),
    state: z.enum(TASK_STATES),
    assignee: z.string().min(1).max(128).optional(),
    attempts: z.number().int().min(0).max(1000).optional(),
    result: z.json().optional(),
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

export const MAX_IMPORT_BATCH = 5000;
export const ImportBatch = z.object({ tasks: z.array(z.unknown()).min(1).max(MAX_IMPORT_BATCH) }).strict();

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

export type Task = {
  id: string;
  title: string;
  capability: string;
  payload: unknown;
  source: string;
  priority: number;
  createdAt: number;
  deadline: number | null;
  state: TaskState;
  assignee: string | null;
  attempts: number;
  result: unknown;
  reason: string | null;
  updatedAt: number;
  leaseUntil: number | null;
  eventId: string | null;
};

export type TaskChange = { seq: number; at: number; state: TaskState | "progress"; actor: string; note: string | null };

export type Rule = RuleInput & { id: string; createdAt: number };
export type SourceInfo = { name: string; scheme: WebhookScheme; createdAt: number; updatedAt: number };

export type Regime = "flow" | "coercion" | "chaos" | "stall" | "no_signal";
export type SubsystemKind = "capability" | "agent" | "source";

export type Subsystem = {
  kind: SubsystemKind;
  name: string;
  open: number;
  lastProgressAt: number | null;
  typicalIntervalMs: number | null;
  stalled: boolean;
  stalledSince: number | null;
  reason: "no_progress" | "missed_deadline" | null;
};

export type Pulse = {
  signal: "ok" | "no_signal";
  C: number | null;
  slow: number | null;
  drift: number | null;
  backlog: number;
  regime: Regime;
  window: { ms: number; done: number; failed: number; expired: number; ratio: number | null };
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
};

export type CoherenceReport = {
  at: number;
  mode: Mode;
  pulse: Pulse;
  stalled: Subsystem[];
  subsystems: Subsystem[];
  history: { cycle: number; at: number; C: number | null; drift: number | null; backlog: number; regime: Regime; signal: Pulse["signal"] }[];
};

export type { RpcError as MindError, RpcResult as MindResult } from "../rpc-result.ts";

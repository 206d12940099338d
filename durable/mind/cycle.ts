// One cycle of the loop: perceive (due schedule rows, pending events, ledger changes) → decide
// (rules, then the planner) → act (create, expire, re-dispatch, run schedules, dispatch) →
// measure coherence (evaluate what changed) → tell (alerts). The caller (the alarm) records the
// cycle, consumes its schedule rows and re-arms.
import type { Mode, Pulse, TaskInput } from "../../lib/mind/wire.ts";
import { deliverAlerts } from "./alert-delivery.ts";
import { ALERT_REMIND, type Alerts } from "./alerts.ts";
import type { Coherence } from "./coherence.ts";
import type { CronSchedules } from "./cron-schedules.ts";
import { DecisionError, eventContext, tasksFromRules, type PlannedEvent } from "./decide.ts";
import { dispatchOpen } from "./dispatcher.ts";
import { MAX_EVENT_ATTEMPTS, type EventRow, type EventStore } from "./event-store.ts";
import { finishQuietImports, openImports } from "./ledger-import.ts";
import type { Ledger } from "./ledger.ts";
import { recordCycleMemory } from "./memory-hook.ts";
import type { MindIo } from "./mind-io.ts";
import { plan, PlannerError } from "./planner.ts";
import type { Rules } from "./rules.ts";
import { EVENT_RETRY, type Schedule, type ScheduleRow } from "./schedule.ts";
import type { Settings } from "./settings.ts";
import { flaggedSubsystems } from "./subsystem-store.ts";

export type CycleDeps = {
  env: Env;
  storage: DurableObjectStorage;
  ledger: Ledger;
  events: EventStore;
  rules: Rules;
  settings: Settings;
  schedule: Schedule;
  coherence: Coherence;
  alerts: Alerts;
  crons: CronSchedules;
  io: MindIo;
  now: () => number;
};

export type CycleOutcome = { did: Record<string, number>; pulse: Pulse; again: boolean };

type Notice = { type: string; body: Record<string, unknown>; key: string };

const PREFIX = (key: string) => key.split(":")[0]!;
const REST = (key: string) => key.slice(key.indexOf(":") + 1);

export async function runCycle(d: CycleDeps, cycleId: number, startedAt: number, due: ScheduleRow[]): Promise<CycleOutcome> {
  const did: Record<string, number> = {
    events: 0, tasksCreated: 0, quarantined: 0, expired: 0, redispatched: 0, scheduled: 0, missedRuns: 0, importsClosed: 0, dispatched: 0, waiting: 0,
    dispatchErrors: 0, plannerRejected: 0, held: 0, evaluated: 0, flagged: 0, recovered: 0, alerts: 0, alertErrors: 0,
  };
  const notices: Notice[] = [];
  const mode: Mode = d.settings.mode();

  // ---- perceive + decide + act on events
  const suspect = d.events.suspect();
  if (suspect) {
    if (suspect.attempts >= MAX_EVENT_ATTEMPTS) {
      const error = `cycles handling it failed ${suspect.attempts} times without finishing`;
      d.events.quarantine(suspect.seq, error);
      did.quarantined++;
      notices.push(quarantineNotice(suspect, error));
    } else {
      await handleEvents(d, [suspect], did, notices);
    }
  }
  const ready = d.events.ready(d.now());
  if (ready.length > 0) await handleEvents(d, ready, did, notices);
  const retryAt = d.events.nextRetryAt();
  if (retryAt !== null) d.schedule.set(EVENT_RETRY, retryAt);
  else d.schedule.remove(EVENT_RETRY);

  // ---- act on time: deadlines, lapsed leases, recurring work, quiet imports
  const avoid = new Map<string, string>();
  d.storage.transactionSync(() => {
    const crons: string[] = [];
    const imports: string[] = [];
    for (const row of due) {
      const [kind, id] = [PREFIX(row.key), REST(row.key)];
      if (kind === "deadline" && d.ledger.expire(id)) did.expired++;
      if (kind === "lease") {
        const t = d.ledger.find(id);
        if (t && (t.state === "dispatched" || t.state === "claimed") && t.lease_until !== null && t.lease_until <= d.now()) {
          avoid.set(id, t.assignee!);
          d.ledger.reopen(id, "mind", t.state === "dispatched" ? `not claimed in time by ${t.assignee}` : `heartbeat lapsed at ${t.assignee}`, false);
          did.redispatched++;
        }
      }
      if (kind === "cron") crons.push(id);
      if (kind === "import") imports.push(id);
    }
    const ran = d.crons.run(d.ledger, crons, mode);
    did.scheduled = ran.created;
    did.tasksCreated += ran.created;
    did.missedRuns = ran.missed;
    did.importsClosed = finishQuietImports(d.ledger, imports);
  });
  const held = new Set<string>();
  if (mode === "govern") {
    for (const s of flaggedSubsystems(d.ledger.sql)) if (s.kind === "agent" && (s.stalled || s.failing)) held.add(s.name);
    d.storage.transactionSync(() => {
      for (const agent of held) {
        const rows = d.ledger.sql.exec<{ id: string }>("SELECT id FROM tasks WHERE assignee = ? AND state IN ('dispatched', 'claimed')", agent).toArray();
        for (const { id } of rows) {
          avoid.set(id, agent);
          d.ledger.reopen(id, "mind", `governed: agent ${agent} is flagged`, false);
          did.redispatched++;
        }
      }
    });
    did.held = held.size;
  }
  const dispatch = await dispatchOpen({ ledger: d.ledger, settings: d.settings, io: d.io, held, avoid });
  did.dispatched = dispatch.dispatched;
  did.waiting = dispatch.waiting;
  did.dispatchErrors = dispatch.errors;

  // ---- measure: the subsystems that changed or whose check came due; flags → alerts
  const checks = due.filter((r) => PREFIX(r.key) === "check").map((r) => REST(r.key));
  const m = d.storage.transactionSync(() => {
    const measured = d.coherence.measure(d.now(), checks, openImports(d.ledger.sql) > 0);
    for (const c of measured.appeared) if (d.alerts.flagged(c.flag, c.subsystem, mode)) did.flagged++;
    for (const c of measured.cleared) if (d.alerts.cleared(c.flag, c.subsystem, mode)) did.recovered++;
    if (due.some((r) => r.key === ALERT_REMIND)) d.alerts.remindDue(mode);
    for (const n of notices) d.alerts.notice(n.type, n.body, mode, n.key);
    return measured;
  });
  did.evaluated = m.evaluated;
  const delivered = await deliverAlerts({ sql: d.ledger.sql, io: d.io, settings: d.settings, schedule: d.schedule, now: d.now, storage: d.storage });
  did.alerts = delivered.sent;
  did.alertErrors = delivered.failed;

  // ---- remember (memory is its own organ: a failure there never fails the cycle)
  await recordCycleMemory(d.env, {
    cycle: cycleId,
    startedAt,
    endedAt: d.now(),
    did,
    flagged: flaggedSubsystems(d.ledger.sql).map((s) => `${s.kind}:${s.name} (${s.flags.join(", ")})`),
    regime: m.pulse.regime,
    days: d.settings.get("memoryDays"),
  });

  const governNow = mode === "govern" && m.appeared.some((c) => c.subsystem.kind === "agent");
  const again = (dispatch.more && dispatch.dispatched > 0) || m.more || delivered.more || governNow || d.events.ready(d.now(), 1).length > 0;
  return { did, pulse: m.pulse, again };
}

async function handleEvents(d: CycleDeps, batch: EventRow[], did: Record<string, number>, notices: Notice[]): Promise<void> {
  // The attempt is on disk before the work: a cycle that dies here leaves its events as suspects.
  d.events.beginAttempt(batch.map((e) => e.seq));
  await d.storage.sync();
  const forPlanner: EventRow[] = [];
  d.storage.transactionSync(() => {
    for (const e of batch) {
      const rules = d.rules.matching(e.source, e.type);
      if (rules.length === 0) {
        forPlanner.push(e);
        continue;
      }
      try {
        const inputs = tasksFromRules(e, rules);
        settle(d, e, inputs, did);
      } catch (err) {
        fail(d, e, err, did, notices);
      }
    }
  });
  if (forPlanner.length === 0) return;
  const config = d.settings.get("planner");
  if (!config || !config.enabled) {
    // Nothing asked for work from these events: they are handled, with no task.
    d.storage.transactionSync(() => forPlanner.forEach((e) => settle(d, e, [], did)));
    return;
  }
  const capabilities = [...new Set([...(await d.io.listAgents()).flatMap((a) => a.capabilities), ...d.rules.capabilities()])].sort();
  const apiKey = config.credential ? await d.io.credential(config.credential) : null;
  for (let i = 0; i < forPlanner.length; i += config.maxEvents) {
    const chunk = forPlanner.slice(i, i + config.maxEvents);
    const planned: PlannedEvent[] = chunk.map(eventContext);
    try {
      if (config.credential && !apiKey) throw new PlannerError(`the credential ${config.credential} does not exist`);
      const p = await plan({ fetcher: d.io.llm(), config, apiKey, capabilities }, planned);
      did.plannerRejected += p.rejected;
      d.storage.transactionSync(() => chunk.forEach((e) => settle(d, e, p.byEvent.get(e.id) ?? [], did)));
    } catch (err) {
      if (!(err instanceof PlannerError)) throw err;
      d.storage.transactionSync(() => chunk.forEach((e) => fail(d, e, err, did, notices)));
    }
  }
}

function settle(d: CycleDeps, e: EventRow, inputs: TaskInput[], did: Record<string, number>): void {
  // No wake: this cycle dispatches what it creates.
  const origin = d.rules.matching(e.source, e.type).length > 0 ? "rule" : "planner";
  const ids = inputs.map((input) => d.ledger.create(input, `event:${e.id}`, { source: e.source, origin, eventId: e.id, wake: false }).id);
  d.events.handled(e.seq, ids);
  did.events++;
  did.tasksCreated += ids.length;
}

function fail(d: CycleDeps, e: EventRow, err: unknown, did: Record<string, number>, notices: Notice[]): void {
  const message = err instanceof DecisionError || err instanceof PlannerError ? err.message : `${err instanceof Error ? err.name : "error"}: ${err instanceof Error ? err.message : String(err)}`;
  if (d.events.failed(e.seq, message) === "quarantined") {
    did.quarantined++;
    notices.push(quarantineNotice(e, message));
  }
}

function quarantineNotice(e: EventRow, error: string): Notice {
  return { type: "event.quarantined", body: { eventId: e.id, source: e.source, eventType: e.type, error }, key: `quarantined:${e.id}` };
}

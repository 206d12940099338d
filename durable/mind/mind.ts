import { DurableObject } from "cloudflare:workers";
import { migrate } from "../../lib/do-migrations.ts";
import type {
  AlertInfo, CheckinInput, CoherenceReport, CycleRecord, ExpectationInfo, ExpectationInput, MindResult, MindStatus, Mode, NotifyInfo, NotifyInput,
  PlannerConfig, Rule, RuleInput, ScheduleInfo, ScheduleInput, SourceInfo, SubsystemKind, Task, TaskChange, TaskInput, TaskState, Watch, WebhookScheme,
} from "../../lib/mind/wire.ts";
import { masterKeyFromHex } from "../../lib/credentials.ts";
import { resealNotifySecret, sealNotifySecret } from "./alert-delivery.ts";
import { Alerts } from "./alerts.ts";
import { checkin, type CheckinResult } from "./checkins.ts";
import { Coherence } from "./coherence.ts";
import { CronSchedules } from "./cron-schedules.ts";
import { EventStore, type EventInfo, type EventState } from "./event-store.ts";
import { listExpectations, putExpectation, removeExpectation } from "./expectations.ts";
import { importBatch, type ImportReport } from "./ledger-import.ts";
import { Ledger } from "./ledger.ts";
import { liveIo, type MindIo } from "./mind-io.ts";
import { runAlarm, type MindParts } from "./mind-alarm.ts";
import { MIND_MIGRATIONS } from "./mind-schema.ts";
import type { Row } from "../../lib/mind/import-rows.ts";
import { coherenceReport, cycleLog, mindStatus, watchOf } from "./mind-views.ts";
import { MindFailure, run, runAsync } from "./result.ts";
import { Rules } from "./rules.ts";
import { Schedule } from "./schedule.ts";
import { Settings } from "./settings.ts";
import { toTask } from "./task-row.ts";
import { resealSourceSecret, sealSourceSecret, WebhookIntake, type HookHeaders } from "./webhook-intake.ts";

/** Who is asking, as the Worker authenticated them. */
export type Actor = { kind: "root" | "agent" | "helper"; keyId: string };

/** The name a caller is recorded under, as a task's source and in its history (issue 9.10). */
export const actorName = (a: Actor) => (a.kind === "root" ? "owner" : `${a.kind}:${a.keyId}`);

/** What readyz reads: `ok` false (with `late`) when the mind is not on time. */
export type MindPing = { object: "mind"; ok: boolean; at: number; late?: { reason: NonNullable<Watch["reason"]>; lateByMs: number | null; dueAt: number | null } };

/**
 * The seed's always-on loop, driven only by its alarm. The work ledger, the schedule, webhook
 * events, rules and the coherence history live in this object's SQLite; the logic lives in the
 * modules beside it. RPC methods answer with data or a MindResult error, never a thrown class.
 */
export class Mind extends DurableObject<Env> {
  /** Replaceable in tests to drive time; production reads the wall clock. */
  clock = { now: () => Date.now() };
  /** The world outside this object; replaceable in tests. */
  io: MindIo;
  readonly schedule: Schedule;
  readonly settings: Settings;
  readonly ledger: Ledger;
  readonly events: EventStore;
  readonly rules: Rules;
  readonly coherence: Coherence;
  readonly alerts: Alerts;
  readonly crons: CronSchedules;
  readonly intake: WebhookIntake;
  readonly awake = { value: false };
  readonly parts: MindParts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, MIND_MIGRATIONS);
    const now = () => this.clock.now();
    const sql = ctx.storage.sql;
    this.io = liveIo(env);
    this.schedule = new Schedule(sql);
    this.settings = new Settings(sql);
    this.ledger = new Ledger(sql, now, this.schedule);
    this.events = new EventStore(sql, now);
    this.rules = new Rules(sql, now);
    this.coherence = new Coherence(sql, this.schedule);
    this.alerts = new Alerts(sql, this.schedule, now, () => this.settings.get("notify") !== undefined);
    this.crons = new CronSchedules(sql, this.schedule, now);
    this.intake = new WebhookIntake(this.events, () => this.io.masterKey(), now);
    const self = this;
    this.parts = {
      storage: ctx.storage,
      env: env,
      get io() {
        return self.io;
      },
      now,
      schedule: this.schedule,
      settings: this.settings,
      ledger: this.ledger,
      events: this.events,
      rules: this.rules,
      coherence: this.coherence,
      alerts: this.alerts,
      crons: this.crons,
      awake: this.awake,
      arm: () => this.arm(),
    };
    // After a restart the alarm points at the earliest row again; overdue rows fire at once.
    void ctx.blockConcurrencyWhile(() => this.arm());
  }

  /** For readyz: answers, and says whether the mind is on time. */
  async ping(): Promise<MindPing> {
    const w = watchOf(this.parts, await this.ctx.storage.getAlarm());
    const at = this.clock.now();
    return w.late ? { object: "mind", ok: false, at, late: { reason: w.reason!, lateByMs: w.lateByMs, dueAt: w.dueAt } } : { object: "mind", ok: true, at };
  }

  // ---- the work ledger

  async createTask(actor: Actor, input: TaskInput): Promise<MindResult<Task>> {
    const r = run(() => this.ctx.storage.transactionSync(() => this.ledger.create(input, actorName(actor), { source: actorName(actor), origin: "api" })));
    await this.arm();
    return r;
  }

  getTask(id: string): MindResult<Task & { history: TaskChange[] }> {
    return run(() => ({ ...toTask(this.ledger.require(id)), history: this.ledger.history(id) }));
  }

  listTasks(filter: { state?: TaskState; capability?: string; limit: number; before?: number }): Task[] {
    return this.ledger.list(filter);
  }

  async transition(agentId: string, id: string, action: "claim" | "progress" | "wait" | "complete" | "fail", input: { note?: string; result?: unknown; reason?: string; retryable?: boolean }): Promise<MindResult<Task>> {
    const r = run(() =>
      this.ctx.storage.transactionSync(() => {
        switch (action) {
          case "claim":
            return this.ledger.claim(id, agentId);
          case "progress":
            return this.ledger.progress(id, agentId, input.note);
          case "wait":
            return this.ledger.wait(id, agentId, input.note);
          case "complete":
            return this.ledger.complete(id, agentId, input.result);
          case "fail":
            return this.ledger.fail(id, agentId, input.reason ?? "failed", input.retryable ?? false);
        }
      }),
    );
    await this.arm();
    return r;
  }

  /** One batch of an import; batches with the same id are one unit (see ledger-import.ts). */
  async importTasks(lines: Row[], importId?: string, final = true): Promise<ImportReport> {
    const r = this.ctx.storage.transactionSync(() => importBatch(this.ledger, lines, importId, final));
    await this.arm();
    return r;
  }

  // ---- check-ins, expectations, recurring work

  async checkin(actor: Actor, name: string, input: CheckinInput): Promise<MindResult<CheckinResult>> {
    const r = run(() => this.ctx.storage.transactionSync(() => checkin(this.ledger, actorName(actor), name, input)));
    await this.arm();
    return r;
  }

  async putExpectation(name: string, input: ExpectationInput): Promise<MindResult<{ expectation: ExpectationInfo; created: boolean }>> {
    const r = run(() =>
      this.ctx.storage.transactionSync(() => {
        const out = putExpectation(this.ctx.storage.sql, name, input, this.clock.now());
        this.schedule.wake(this.clock.now());
        return out;
      }),
    );
    await this.arm();
    return r;
  }

  listExpectations(): ExpectationInfo[] {
    return listExpectations(this.ctx.storage.sql);
  }

  async removeExpectation(kind: SubsystemKind, name: string): Promise<boolean> {
    const gone = this.ctx.storage.transactionSync(() => {
      const g = removeExpectation(this.ctx.storage.sql, kind, name, this.clock.now());
      if (g) this.schedule.wake(this.clock.now());
      return g;
    });
    await this.arm();
    return gone;
  }

  async putSchedule(input: ScheduleInput): Promise<MindResult<{ schedule: ScheduleInfo; created: boolean }>> {
    const r = run(() => this.ctx.storage.transactionSync(() => this.crons.put(input)));
    await this.arm();
    return r;
  }

  listSchedules(): ScheduleInfo[] {
    return this.crons.list();
  }

  async removeSchedule(name: string): Promise<boolean> {
    const gone = this.crons.remove(name);
    await this.arm();
    return gone;
  }

  // ---- telling someone

  async setNotify(input: NotifyInput | null): Promise<MindResult<{ notify: NotifyInfo | null; secret: string | null }>> {
    return runAsync(async () => {
      if (input === null) {
        this.settings.delete("notify");
        return { notify: null, secret: null };
      }
      const sealed = await sealNotifySecret(this.io.masterKey(), input.secret);
      const createdAt = this.clock.now();
      this.settings.set("notify", { service: input.service, url: input.url, secret: sealed.ciphertext, createdAt });
      return { notify: { service: input.service, url: input.url, createdAt }, secret: sealed.generated };
    });
  }

  /**
   * A master-key rotation (`seed handoff --rotate-master-key`): every secret this object sealed —
   * the webhook sources' and the notification webhook's — is re-sealed under `nextHex` in one
   * transaction, or none is (one that does not open with `oldHex`, or changed meanwhile, fails it).
   */
  async rekeySecrets(oldHex: string, nextHex: string): Promise<MindResult<{ resealed: number }>> {
    return runAsync(async () => {
      const [old, next] = [masterKeyFromHex(oldHex), masterKeyFromHex(nextHex)];
      const sql = this.ctx.storage.sql;
      const sources = sql.exec<{ name: string; secret: string }>("SELECT name, secret FROM hook_sources").toArray();
      const notify = this.settings.get("notify");
      const sealed: { name: string; was: string; now: string }[] = [];
      try {
        for (const s of sources) sealed.push({ name: s.name, was: s.secret, now: await resealSourceSecret(old, next, s.name, s.secret) });
      } catch {
        throw new MindFailure(409, "secret_not_readable", "a webhook source's secret does not open with the current master key");
      }
      const notifySecret = notify ? await resealNotifySecret(old, next, notify.secret).catch(() => null) : null;
      if (notify && notifySecret === null) throw new MindFailure(409, "secret_not_readable", "the notification webhook's secret does not open with the current master key");
      this.ctx.storage.transactionSync(() => {
        for (const s of sealed) {
          // A source replaced while this ran is not overwritten with a stale secret: all or nothing.
          const r = sql.exec("UPDATE hook_sources SET secret = ? WHERE name = ? AND secret = ?", s.now, s.name, s.was);
          if (r.rowsWritten !== 1) throw new MindFailure(409, "changed_meanwhile", `webhook source ${s.name} changed during the rotation: run it again`);
        }
        if (notify && notifySecret) {
          if (this.settings.get("notify")?.secret !== notify.secret) throw new MindFailure(409, "changed_meanwhile", "the notification webhook changed during the rotation: run it again");
          this.settings.set("notify", { ...notify, secret: notifySecret });
        }
      });
      for (const s of sealed) this.intake.forget(s.name);
      return { resealed: sealed.length + (notifySecret ? 1 : 0) };
    });
  }

  getNotify(): NotifyInfo | null {
    const n = this.settings.get("notify");
    return n ? { service: n.service, url: n.url, createdAt: n.createdAt } : null;
  }

  listAlerts(limit: number): { alerts: AlertInfo[]; undelivered: { id: string; type: string; attempts: number; hook: string; bus: boolean; lastError: string | null }[] } {
    const alerts = this.alerts.list(limit).map((a) => ({
      key: a.key,
      type: a.type,
      condition: a.condition,
      subsystem: a.kind && a.name ? { kind: a.kind as SubsystemKind, name: a.name } : null,
      since: a.since,
      openedAt: a.opened_at,
      closedAt: a.closed_at,
      sends: a.sends,
      nextReminderAt: a.next_reminder_at,
    }));
    const undelivered = this.ctx.storage.sql
      .exec<{ id: string; body: string; attempts: number; hook_state: string; bus_sent: number; last_error: string | null }>("SELECT id, body, attempts, hook_state, bus_sent, last_error FROM alert_outbox ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((r) => ({ id: r.id, type: (JSON.parse(r.body) as { type: string }).type, attempts: r.attempts, hook: r.hook_state, bus: r.bus_sent === 1, lastError: r.last_error }));
    return { alerts, undelivered };
  }

  // ---- webhooks, rules, planner, mode

  async receiveWebhook(source: string, headers: HookHeaders, body: ArrayBuffer): Promise<MindResult<{ eventId: string }>> {
    const r = await runAsync(async () => {
      const { eventId } = await this.intake.receive(source, headers, new Uint8Array(body));
      this.schedule.wake(this.clock.now());
      return { eventId };
    });
    if (r.ok) await this.arm();
    return r;
  }

  async putSource(name: string, scheme: WebhookScheme, secret: string | undefined): Promise<MindResult<{ source: SourceInfo; created: boolean; secret: string | null }>> {
    return runAsync(async () => {
      const sealed = await sealSourceSecret(this.io.masterKey(), name, scheme, secret);
      const { created } = this.events.putSource(name, scheme, sealed.ciphertext);
      this.intake.forget(name);
      return { source: this.events.listSources().find((s) => s.name === name)!, created, secret: sealed.generated };
    });
  }

  listSources(): SourceInfo[] {
    return this.events.listSources();
  }

  deleteSource(name: string): boolean {
    this.intake.forget(name);
    return this.events.deleteSource(name);
  }

  listEvents(state: EventState | undefined, limit: number): EventInfo[] {
    return this.events.list(state, limit);
  }

  addRule(input: RuleInput): MindResult<Rule> {
    return run(() => this.rules.add(input));
  }

  listRules(): Rule[] {
    return this.rules.list();
  }

  deleteRule(id: string): boolean {
    return this.rules.remove(id);
  }

  setPlanner(config: PlannerConfig | null): PlannerConfig | null {
    if (config === null) this.settings.delete("planner");
    else this.settings.set("planner", config);
    return config;
  }

  getPlanner(): PlannerConfig | null {
    return this.settings.get("planner") ?? null;
  }

  setMode(mode: Mode): { mode: Mode; previous: Mode } {
    const previous = this.settings.mode();
    this.settings.set("mode", mode);
    return { mode, previous };
  }

  // ---- what the mind shows

  async status(): Promise<MindStatus> {
    return mindStatus(this.parts, await this.ctx.storage.getAlarm());
  }

  async coherenceReport(windowMs: number): Promise<CoherenceReport> {
    return coherenceReport(this.parts, windowMs, await this.ctx.storage.getAlarm());
  }

  /** For /metrics: numbers only, no cycle, no write (null when unknown). */
  async metrics(): Promise<{ cycles: number; cycleMsTotal: number; lastCycleMs: number | null; C: number | null; regime: string; stalled: number; failing: number; missed: number; wakeLatencyMs: null; lateByMs: number | null }> {
    const sql = this.ctx.storage.sql;
    const agg = sql.exec<{ n: number | null; total: number | null }>("SELECT MAX(id) AS n, SUM(ended_at - started_at) AS total FROM cycles WHERE ended_at IS NOT NULL").one();
    const last = sql.exec<{ ms: number | null }>("SELECT ended_at - started_at AS ms FROM cycles ORDER BY id DESC LIMIT 1").toArray()[0]?.ms ?? null;
    const pulse = this.coherence.pulseNow(this.clock.now(), 24 * 3_600_000);
    const w = watchOf(this.parts, await this.ctx.storage.getAlarm());
    return { cycles: agg.n ?? 0, cycleMsTotal: agg.total ?? 0, lastCycleMs: last, C: pulse.C, regime: pulse.regime, ...pulse.flagged, wakeLatencyMs: null, lateByMs: w.late ? w.lateByMs : null };
  }

  cycles(limit: number): CycleRecord[] {
    return cycleLog(this.ctx.storage.sql, limit);
  }

  // ---- time

  override async alarm(): Promise<void> {
    await runAlarm(this.parts);
  }

  /** One alarm, for the earliest schedule row; none when nothing is due. */
  async arm(): Promise<void> {
    const next = this.schedule.earliest();
    const current = await this.ctx.storage.getAlarm();
    const now = this.clock.now();
    // An alarm already due will run a cycle that sees every due row: a burst need not move it.
    if (current !== null && next !== null && current <= now && next <= now) return;
    if (next === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== next) {
      await this.ctx.storage.setAlarm(next);
    }
  }
}

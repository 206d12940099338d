import { DurableObject } from "cloudflare:workers";
import type { CoherenceReport, CycleRecord, ImportLine, MindResult, MindStatus, Mode, PlannerConfig, Rule, RuleInput, SourceInfo, Task, TaskChange, TaskInput, TaskState, WebhookScheme } from "../../lib/mind/wire.ts";
import type { Bindings } from "../../workers/app-env.ts";
import type { Ping } from "../bus/bus.ts";
import { Coherence } from "./coherence.ts";
import { EventStore, type EventInfo, type EventState } from "./event-store.ts";
import { importTasks, type ImportReport } from "./ledger-import.ts";
import { Ledger } from "./ledger.ts";
import { liveIo, type MindIo } from "./mind-io.ts";
import { runAlarm, type MindParts } from "./mind-alarm.ts";
import { MIND_SCHEMA } from "./mind-schema.ts";
import { coherenceReport, cycleLog, mindStatus } from "./mind-views.ts";
import { run, runAsync } from "./result.ts";
import { Rules } from "./rules.ts";
import { Schedule } from "./schedule.ts";
import { Settings } from "./settings.ts";
import { toTask } from "./task-row.ts";
import { sealSourceSecret, WebhookIntake, type HookHeaders } from "./webhook-intake.ts";

/** Who is asking, as the Worker authenticated them. */
export type Actor = { kind: "root" | "agent" | "helper"; keyId: string };

const actorName = (a: Actor) => (a.kind === "root" ? "owner" : `${a.kind}:${a.keyId}`);

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
  readonly intake: WebhookIntake;
  readonly awake = { value: false };
  readonly parts: MindParts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const stmt of MIND_SCHEMA) ctx.storage.sql.exec(stmt);
    const now = () => this.clock.now();
    const sql = ctx.storage.sql;
    this.io = liveIo(env as unknown as Bindings);
    this.schedule = new Schedule(sql);
    this.settings = new Settings(sql);
    this.ledger = new Ledger(sql, now, this.schedule);
    this.events = new EventStore(sql, now);
    this.rules = new Rules(sql, now);
    this.coherence = new Coherence(sql, this.settings, this.schedule);
    this.intake = new WebhookIntake(this.events, () => this.io.masterKey(), now);
    const self = this;
    this.parts = {
      storage: ctx.storage,
      env: env as unknown as Bindings,
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
      awake: this.awake,
      arm: () => this.arm(),
    };
    // After a restart the alarm points at the earliest row again; overdue rows fire at once.
    void ctx.blockConcurrencyWhile(() => this.arm());
  }

  ping(): Ping {
    return { object: "mind", ok: true, at: Date.now() };
  }

  // ---- the work ledger

  async createTask(actor: Actor, input: TaskInput): Promise<MindResult<Task>> {
    const r = run(() => this.ctx.storage.transactionSync(() => this.ledger.create(input, actorName(actor), { source: actorName(actor) })));
    await this.arm();
    return r;
  }

  getTask(id: string): MindResult<Task & { history: TaskChange[] }> {
    return run(() => ({ ...toTask(this.ledger.require(id)), history: this.ledger.history(id) }));
  }

  listTasks(filter: { state?: TaskState; capability?: string; limit: number; before?: number }): Task[] {
    return this.ledger.list(filter);
  }

  async transition(agentId: string, id: string, action: "claim" | "progress" | "complete" | "fail", input: { note?: string; result?: unknown; reason?: string; retryable?: boolean }): Promise<MindResult<Task>> {
    const r = run(() =>
      this.ctx.storage.transactionSync(() => {
        switch (action) {
          case "claim":
            return this.ledger.claim(id, agentId);
          case "progress":
            return this.ledger.progress(id, agentId, input.note);
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

  async importTasks(lines: ImportLine[]): Promise<ImportReport> {
    const r = this.ctx.storage.transactionSync(() => importTasks(this.ledger, this.settings, lines));
    await this.arm();
    return r;
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

  status(): MindStatus {
    return mindStatus(this.parts);
  }

  coherenceReport(windowMs: number): CoherenceReport {
    return coherenceReport(this.parts, windowMs);
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

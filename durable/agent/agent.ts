import { DurableObject } from "cloudflare:workers";
import type { AgentSpec, UsageCounters } from "../../lib/agents/wire.ts";
import type { Task } from "../../lib/mind/wire.ts";
import { liveAgentIo, type AgentIo } from "./agent-io.ts";
import { advance, decide, end, flushUsage, MAX_FAILURES, mirrorUsage, settled, type AgentParts } from "./agent-loop.ts";
import { AGENT_MIGRATIONS, migrate } from "./agent-schema.ts";
import { AgentStore, utcDay, type RunRow } from "./agent-store.ts";

/** One alarm works at most this long, then yields to a fresh alarm. */
export const SLICE_MS = 30_000;
const INTAKE_RETRY_MS = 5_000;

export type RunView = {
  id: string;
  taskId: string;
  title: string;
  state: RunRow["state"];
  receivedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  steps: number;
  tokensIn: number;
  tokensOut: number;
  toolCalls: number;
  reason: string | null;
  reported: boolean;
};

export type AgentStatus = { agentId: string | null; state: "idle" | "working" | "waiting_approval" | "removed"; runs: RunView[]; today: UsageCounters; total: UsageCounters };

export type DecideResult = { ok: true; taskId: string; tool: string } | { ok: false; error: "not_found" | "not_waiting" };

const view = (r: RunRow): RunView => ({
  id: r.id,
  taskId: r.task_id,
  title: (JSON.parse(r.task) as Task).title,
  state: r.state,
  receivedAt: r.received_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  steps: r.steps,
  tokensIn: r.tokens_in,
  tokensOut: r.tokens_out,
  toolCalls: r.tool_calls,
  reason: r.reason,
  reported: r.reported === 1,
});

/**
 * One of the seed's own agents. It sleeps until the bus says its inbox has work (inboxReady) and
 * works only from its alarm: intake the inbox, then one durable step after another. At rest it has
 * no alarm, no socket and no timer: zero CPU, zero tokens.
 */
export class Agent extends DurableObject<Env> {
  /** Replaceable in tests to drive time; production reads the wall clock. */
  clock = { now: () => Date.now() };
  /** The world outside this object; replaceable in tests. */
  io: AgentIo;
  readonly store: AgentStore;
  #running = false;
  #inboxDirty = false;
  readonly #pending = { note: null as string | null, toldAt: 0, mirroredAt: 0, beat: null as Promise<void> | null, usageDirty: false };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, AGENT_MIGRATIONS);
    this.store = new AgentStore(ctx.storage.sql);
    this.io = liveAgentIo(env);
  }

  // ---- RPC

  /** The bus: a message landed in this agent's inbox. Cheap: the work happens in the alarm. */
  async inboxReady(agentId: string): Promise<void> {
    this.#bind(agentId);
    this.#inboxDirty = true;
    if (!this.#running) await this.arm();
  }

  /** The owner changed the definition: the next step runs on it. */
  configure(agentId: string, agent: { name: string; spec: AgentSpec; version: number }): void {
    this.#bind(agentId);
    const current = this.store.setting<{ version: number }>("agent");
    if (!current || current.version <= agent.version) this.store.setSetting("agent", agent);
  }

  /** The agent was removed or its key revoked: every task it holds goes back to the mind at once. */
  async stop(agentId: string, reason: string): Promise<{ released: number }> {
    this.#bind(agentId);
    this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec("DELETE FROM settings WHERE key = 'agent'"));
    const p = this.#parts()!;
    const active = this.store.active().filter((r) => r.state === "queued" || r.state === "running" || r.state === "waiting");
    for (const run of active) await end(p, run, "failed", { action: "fail", reason: "agent_removed", retryable: true }, reason);
    await flushUsage(p);
    await this.arm();
    return { released: active.length };
  }

  /** The owner approved or denied a waiting tool call. */
  async decide(agentId: string, approvalId: string, approved: boolean, reason: string | null, by: string): Promise<DecideResult> {
    this.#bind(agentId);
    const p = this.#parts()!;
    const r = decide(p, approvalId, approved, reason);
    if ("error" in r) return { ok: false, error: r.error };
    await this.io.settleApprovals([approvalId], approved ? "approved" : "denied", by, reason, this.clock.now());
    await this.io.transition(agentId, r.taskId, "progress", { note: `${r.tool} ${approved ? "approved" : "denied"} by the owner` }).catch(() => null);
    await this.arm();
    return { ok: true, taskId: r.taskId, tool: r.tool };
  }

  status(): AgentStatus {
    const agentId = this.store.setting<string>("agentId");
    const runs = this.store.active().map(view);
    const removed = agentId !== null && this.store.setting("agent") === null;
    const state = removed ? "removed" : runs.some((r) => r.state === "running" || r.state === "queued") ? "working" : runs.some((r) => r.state === "waiting") ? "waiting_approval" : "idle";
    return { agentId, state, runs, today: this.store.usageOn(utcDay(this.clock.now())), total: this.store.usageTotal() };
  }

  runs(limit: number): RunView[] {
    return this.store.recent(Math.max(1, Math.min(limit, 200))).map(view);
  }

  // ---- the loop

  override async alarm(): Promise<void> {
    const p = this.#parts();
    if (!p) return;
    // workerd keeps an alarm until its handler returns: a crash (kill -9) mid-loop runs it again
    // after the restart, and the loop resumes at the first step without a recorded result.
    if (this.#running) return; // a loop at work in this object re-arms when it ends
    this.#running = true;
    const sliceEnd = this.clock.now() + SLICE_MS;
    this.#inboxDirty = true; // a lost wake-up is found on the next alarm
    try {
      for (;;) {
        if (this.#inboxDirty) await this.#intake(p);
        const run = this.store.nextRunnable(this.clock.now());
        if (!run || this.clock.now() > sliceEnd) break;
        await this.#step(p, run);
      }
    } finally {
      await settled(p);
      await flushUsage(p);
      this.#running = false;
      await this.arm();
    }
  }

  /** One alarm, at the earliest moment something can move; none at rest. */
  async arm(): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    const now = this.clock.now();
    const retry = this.store.setting<number>("intakeRetryAt");
    const due = [this.#inboxDirty ? now : null, this.store.nextDueAt(now), retry].filter((t): t is number => t !== null);
    const next = due.length ? Math.min(...due) : null;
    if (next === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current === null || current !== next) {
      await this.ctx.storage.setAlarm(next);
    }
  }

  async #step(p: AgentParts, run: RunRow): Promise<void> {
    try {
      await advance(p, run);
    } catch (err) {
      // A fault of the seed itself (a bug, a storage error): this run waits and tries again; the
      // others go on. Only the class name is logged, never a message that might quote a secret.
      console.error(`agent ${p.agentId}: step of ${run.id} failed (${err instanceof Error ? err.name : "error"})`);
      const fresh = this.store.run(run.id) ?? run;
      const failures = fresh.failures + 1;
      if (failures >= MAX_FAILURES && fresh.reported === 1) {
        await end(p, fresh, "failed", { action: "fail", reason: "agent_failed", retryable: true }, `the seed failed ${failures} times on this task`).catch(() => {});
      } else {
        this.store.update(run.id, { failures, retry_at: this.clock.now() + Math.min(60_000, 1000 * 2 ** failures) });
      }
    }
  }

  async #intake(p: AgentParts): Promise<void> {
    this.#inboxDirty = false;
    try {
      for (;;) {
        const r = await this.io.pullInbox(p.agentId, 100);
        if (!r.ok) throw new Error(r.error.code);
        const now = this.clock.now();
        for (const m of r.value) {
          const body = m.body as { type?: string; task?: Task; payloadOmitted?: boolean } | null;
          if (body?.type !== "seed.task" || !body.task?.id) continue; // the seed's own agents act on tasks only
          let task = body.task;
          if (body.payloadOmitted) {
            const full = await this.io.getTask(task.id);
            if (full.ok) task = { ...full.value, attempts: task.attempts };
          }
          this.ctx.storage.transactionSync(() => {
            // A new dispatch of the same task supersedes an older run of it still held here.
            this.ctx.storage.sql.exec("UPDATE runs SET state = 'dropped', finished_at = ? WHERE task_id = ? AND id != ? AND state IN ('queued', 'running', 'waiting')", now, task.id, `${task.id}#${task.attempts + 1}`);
            this.store.receive(task, task.attempts + 1, now);
          });
        }
        if (r.value.length > 0) {
          await this.ctx.storage.sync();
          await this.io.ackInbox(p.agentId, r.value.map((m) => m.ackId));
        }
        if (r.value.length < 100) break;
      }
      if (this.store.setting("intakeRetryAt") !== null) this.ctx.storage.sql.exec("DELETE FROM settings WHERE key = 'intakeRetryAt'");
    } catch (err) {
      console.error(`agent ${p.agentId}: could not read its inbox (${err instanceof Error ? err.name : "error"}); trying again`);
      this.store.setSetting("intakeRetryAt", this.clock.now() + INTAKE_RETRY_MS);
    }
  }

  #bind(agentId: string): void {
    const bound = this.store.setting<string>("agentId");
    if (bound === null) this.store.setSetting("agentId", agentId);
    else if (bound !== agentId) throw new Error("this Agent object belongs to another agent");
  }

  #parts(): AgentParts | null {
    const agentId = this.store.setting<string>("agentId");
    if (!agentId) return null;
    const self = this;
    return {
      storage: this.ctx.storage,
      store: this.store,
      get io() {
        return self.io;
      },
      now: () => self.clock.now(),
      agentId,
      pending: this.#pending,
    };
  }
}

export { mirrorUsage };

// The work ledger: tasks and every change of their state, with its time. Transitions check the
// current state and the caller in the same synchronous step that writes, so an interleaved
// request can never move a task twice.
import { randomId } from "../../lib/keys.ts";
import { isTerminal, type Task, type TaskChange, type TaskInput, type TaskOrigin, type TaskState } from "../../lib/mind/wire.ts";
import { CLAIM_LEASE_MS, DEFAULT_PRIORITY } from "../../lib/mind/import-rows.ts";
import { MindFailure } from "./result.ts";
import { deadlineKey, leaseKey, type Schedule } from "./schedule.ts";
import { markDirty } from "./subsystem-store.ts";
import { OPEN_WORK, subsystemKeys, synthesizedHistory, toTask, type TaskRow } from "./task-row.ts";

/** How long an agent has to claim a task handed to it, and between heartbeats once claimed. */
export const DISPATCH_LEASE_MS = 5 * 60 * 1000;
/** Dispatches of one task before it fails for good. */
export const MAX_ATTEMPTS = 5;

export const HOUR_MS = 3_600_000;
const OUTCOME_COLUMN = { done: "done", failed: "failed", expired: "expired" } as const;

export class Ledger {
  readonly sql: SqlStorage;
  readonly now: () => number;
  readonly schedule: Schedule;

  constructor(sql: SqlStorage, now: () => number, schedule: Schedule) {
    this.sql = sql;
    this.now = now;
    this.schedule = schedule;
  }

  // ---- reading

  find(id: string): TaskRow | null {
    return this.sql.exec<TaskRow>("SELECT * FROM tasks WHERE id = ?", id).toArray()[0] ?? null;
  }

  require(id: string): TaskRow {
    const row = this.find(id);
    if (!row) throw new MindFailure(404, "task_not_found", `no task ${id}`);
    return row;
  }

  history(id: string): TaskChange[] {
    const rows = this.sql
      .exec<TaskChange>("SELECT seq, at, state, actor, note FROM task_events WHERE task_id = ? ORDER BY seq", id)
      .toArray();
    // Imported tasks carry their past in their columns (no event rows: that keeps imports fast).
    const t = this.find(id);
    return t && t.origin === "import" ? [...synthesizedHistory(t, rows.length), ...rows] : rows;
  }

  list(filter: { state?: TaskState; capability?: string; limit: number; before?: number }): Task[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    // Open states go through the partial indexes over open work; finished ones read the table.
    if (filter.state) where.push(isTerminal(filter.state) ? "state = ?" : `state = ? AND ${OPEN_WORK}`), args.push(filter.state);
    if (filter.capability) where.push("capability = ?"), args.push(filter.capability);
    if (filter.before !== undefined) where.push("created_at < ?"), args.push(filter.before);
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC LIMIT ?`;
    return this.sql.exec<TaskRow>(sql, ...args, filter.limit).toArray().map(toTask);
  }

  // ---- writing

  /** `source` is who asked (the authenticated caller, a webhook source, a schedule), never the body's word. */
  create(input: TaskInput, actor: string, origin: { source: string; origin: TaskOrigin; eventId?: string; wake?: boolean }): Task {
    const now = this.now();
    const id = `t_${randomId()}`;
    const deadline = input.deadline ?? (input.deadlineInMs !== undefined ? now + input.deadlineInMs : null);
    const payload = input.payload === undefined ? null : JSON.stringify(input.payload);
    this.sql.exec(
      `INSERT INTO tasks (id, title, capability, payload, source, label, origin, priority, created_at, deadline, state, attempts, event_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 0, ?, ?)`,
      id, input.title, input.capability, payload, origin.source, input.label ?? null, origin.origin, input.priority ?? DEFAULT_PRIORITY, now, deadline, origin.eventId ?? null, now,
    );
    this.#event(id, now, "open", actor, null);
    this.#touch({ capability: input.capability, source: origin.source, assignee: null });
    if (deadline !== null) this.schedule.set(deadlineKey(id), deadline);
    if (origin.wake !== false) this.schedule.wake(now);
    return toTask(this.require(id));
  }

  /** A check-in run, or a finished check-in with no start: in the hands of the script, never dispatched. */
  createRun(capability: string, title: string, source: string, state: "claimed" | "done" | "failed", note: string | null): Task {
    const now = this.now();
    const id = `t_${randomId()}`;
    const finished = state === "claimed" ? null : now;
    this.sql.exec(
      `INSERT INTO tasks (id, title, capability, source, origin, priority, created_at, state, attempts, progress_at, done_at, finished_at, reason, updated_at)
       VALUES (?, ?, ?, ?, 'checkin', ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
      id, title, capability, source, DEFAULT_PRIORITY, now, state, now, state === "done" ? now : null, finished, state === "failed" ? note : null, now,
    );
    this.#event(id, now, "open", source, null);
    this.#event(id, now, state, source, note);
    if (state !== "claimed") this.recordOutcome(state, now);
    this.#touch({ capability, source, assignee: null });
    this.schedule.wake(now);
    return toTask(this.require(id));
  }

  /** Finishes a check-in run (claimed, no assignee, origin checkin). */
  finishRun(id: string, source: string, state: "done" | "failed", note: string | null): Task {
    const now = this.now();
    this.sql.exec(
      "UPDATE tasks SET state = ?, done_at = ?, finished_at = ?, progress_at = ?, reason = ?, updated_at = ? WHERE id = ?",
      state, state === "done" ? now : null, now, state === "done" ? now : null, state === "failed" ? note : null, now, id,
    );
    const t = this.require(id);
    this.#finish(t, now, state, source, note);
    this.schedule.wake(now);
    return toTask(t);
  }

  claim(id: string, agentId: string): Task {
    const t = this.#assigned(id, agentId, ["dispatched"], "claim");
    const now = this.now();
    this.sql.exec("UPDATE tasks SET state = 'claimed', progress_at = ?, lease_until = ?, updated_at = ? WHERE id = ?", now, now + CLAIM_LEASE_MS, now, t.id);
    this.#event(id, now, "claimed", agentId, null);
    this.#touch(t);
    this.schedule.set(leaseKey(id), now + CLAIM_LEASE_MS);
    return toTask(this.require(id));
  }

  progress(id: string, agentId: string, note: string | undefined): Task {
    const t = this.#assigned(id, agentId, ["claimed"], "report progress on");
    const now = this.now();
    this.sql.exec("UPDATE tasks SET progress_at = ?, lease_until = ?, updated_at = ? WHERE id = ?", now, now + CLAIM_LEASE_MS, now, id);
    this.#event(id, now, "progress", agentId, note ?? null);
    this.#touch(t);
    this.schedule.set(leaseKey(id), now + CLAIM_LEASE_MS);
    return toTask(this.require(id));
  }

  /**
   * The agent waits on someone else (an approval) for as long as it takes: the task stays claimed
   * with no lease (a resting seed makes no wakeups meanwhile); the next progress re-arms the lease.
   */
  wait(id: string, agentId: string, note: string | undefined): Task {
    const t = this.#assigned(id, agentId, ["claimed"], "wait on");
    const now = this.now();
    this.sql.exec("UPDATE tasks SET progress_at = ?, lease_until = NULL, updated_at = ? WHERE id = ?", now, now, id);
    this.#event(id, now, "waiting", agentId, note ?? null);
    this.#touch(t);
    this.schedule.remove(leaseKey(id));
    return toTask(this.require(id));
  }

  complete(id: string, agentId: string, result: unknown): Task {
    const t = this.#assigned(id, agentId, ["dispatched", "claimed"], "complete");
    const now = this.now();
    this.sql.exec(
      "UPDATE tasks SET state = 'done', done_at = ?, finished_at = ?, progress_at = ?, lease_until = NULL, result = ?, updated_at = ? WHERE id = ?",
      now, now, now, result === undefined ? null : JSON.stringify(result), now, id,
    );
    this.#finish(t, now, "done", agentId, null);
    this.schedule.wake(now);
    return toTask(this.require(id));
  }

  fail(id: string, agentId: string, reason: string, retryable: boolean): Task {
    const t = this.#assigned(id, agentId, ["dispatched", "claimed"], "fail");
    if (retryable && t.attempts < MAX_ATTEMPTS) {
      this.reopen(id, agentId, `failed (retryable): ${reason}`, true);
    } else {
      const now = this.now();
      this.sql.exec("UPDATE tasks SET state = 'failed', finished_at = ?, lease_until = NULL, reason = ?, updated_at = ? WHERE id = ?", now, reason, now, id);
      this.#finish(t, now, "failed", agentId, reason);
      this.schedule.wake(now);
    }
    return toTask(this.require(id));
  }

  /** Hands an open task to an agent. False if it is no longer open (it moved while we sent). */
  markDispatched(id: string, agentId: string): boolean {
    const now = this.now();
    const moved = this.sql
      .exec(
        "UPDATE tasks SET state = 'dispatched', assignee = ?, assigned_at = ?, attempts = attempts + 1, lease_until = ?, updated_at = ? WHERE id = ? AND state = 'open' RETURNING id",
        agentId, now, now + DISPATCH_LEASE_MS, now, id,
      )
      .toArray();
    if (moved.length === 0) return false;
    this.#event(id, now, "dispatched", "mind", agentId);
    this.#touch(this.require(id));
    this.schedule.set(leaseKey(id), now + DISPATCH_LEASE_MS);
    return true;
  }

  /**
   * Back to open for another agent (a lapsed lease, a retryable failure, a governed re-dispatch).
   * `wake` is false inside a cycle, which dispatches after reopening anyway.
   */
  reopen(id: string, actor: string, note: string, wake: boolean): void {
    const t = this.require(id);
    const now = this.now();
    if (t.attempts >= MAX_ATTEMPTS) {
      const reason = `gave up after ${t.attempts} attempts (last: ${note})`;
      this.sql.exec("UPDATE tasks SET state = 'failed', finished_at = ?, lease_until = NULL, reason = ?, updated_at = ? WHERE id = ?", now, reason, now, id);
      this.#finish(t, now, "failed", actor, reason);
      return;
    }
    this.sql.exec("UPDATE tasks SET state = 'open', assignee = NULL, assigned_at = NULL, lease_until = NULL, updated_at = ? WHERE id = ?", now, id);
    this.#event(id, now, "open", actor, note);
    this.#touch(t); // the agent it leaves, too
    this.schedule.remove(leaseKey(id));
    if (wake) this.schedule.wake(now);
  }

  /** Expires a task whose deadline has passed; false if it finished or its deadline moved. */
  expire(id: string): boolean {
    const t = this.find(id);
    const now = this.now();
    if (!t || t.deadline === null || t.deadline > now || !["open", "dispatched", "claimed"].includes(t.state)) return false;
    this.sql.exec("UPDATE tasks SET state = 'expired', finished_at = ?, lease_until = NULL, reason = 'deadline passed', updated_at = ? WHERE id = ?", now, now, id);
    this.#finish(t, now, "expired", "mind", null);
    for (const key of subsystemKeys(t)) this.noteMissedDeadline(key, t.deadline);
    return true;
  }

  /** Remembers the earliest deadline a subsystem let pass (cleared in effect by its next progress). */
  noteMissedDeadline(key: string, deadline: number): void {
    const [kind, ...rest] = key.split(":");
    // A deadline missed before the subsystem's last progress is forgiven: the newer one replaces it.
    this.sql.exec(
      `INSERT INTO subsystems (key, kind, name, missed_deadline_at, dirty, updated_at) VALUES (?, ?, ?, ?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET dirty = MAX(dirty, 1), missed_deadline_at = CASE
         WHEN missed_deadline_at IS NULL OR missed_deadline_at < COALESCE(json_extract(report, '$.lastProgressAt'), 0) THEN excluded.missed_deadline_at
         ELSE MIN(missed_deadline_at, excluded.missed_deadline_at) END`,
      key, kind!, rest.join(":"), deadline, this.now(),
    );
  }

  // ---- bookkeeping

  #assigned(id: string, agentId: string, from: TaskState[], verb: string): TaskRow {
    const t = this.require(id);
    if (t.assignee !== agentId || !["dispatched", "claimed"].includes(t.state)) {
      if (["done", "failed", "expired"].includes(t.state)) throw new MindFailure(409, "illegal_transition", `task ${id} is ${t.state}; it cannot ${verb === "claim" ? "be claimed" : "change"}`);
      throw new MindFailure(409, "not_assignee", `task ${id} is not assigned to you`);
    }
    if (!from.includes(t.state)) throw new MindFailure(409, "illegal_transition", `cannot ${verb} a task that is ${t.state}`);
    return t;
  }

  #finish(t: TaskRow, at: number, state: "done" | "failed" | "expired", actor: string, note: string | null): void {
    this.#event(t.id, at, state, actor, note);
    this.recordOutcome(state, at);
    this.#touch(t);
    this.schedule.remove(leaseKey(t.id));
    this.schedule.remove(deadlineKey(t.id));
  }

  /** The task's subsystems are evaluated at the next cycle (not during an open import: see subsystem-store). */
  #touch(t: { capability: string; source: string; assignee: string | null }): void {
    markDirty(this.sql, subsystemKeys(t), 1, this.now());
  }

  recordOutcome(state: "done" | "failed" | "expired", at: number): void {
    const col = OUTCOME_COLUMN[state];
    this.sql.exec(`INSERT INTO outcome_hours (hour, ${col}) VALUES (?, 1) ON CONFLICT (hour) DO UPDATE SET ${col} = ${col} + 1`, Math.floor(at / HOUR_MS));
  }

  #event(id: string, at: number, state: TaskState | "progress" | "waiting", actor: string, note: string | null): void {
    this.sql.exec("INSERT INTO task_events (task_id, at, state, actor, note) VALUES (?, ?, ?, ?, ?)", id, at, state, actor, note);
  }
}

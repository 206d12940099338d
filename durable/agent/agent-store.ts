// The Agent object's records: runs (one per dispatch of a task), the conversation, tool calls and
// daily usage. Synchronous SQL on the object's own SQLite; callers group writes in transactions.
import type { Task } from "../../lib/mind/wire.ts";
import type { ChatMessage, ToolCall } from "../../lib/agents/chat-completions.ts";
import type { UsageCounters } from "../../lib/agents/wire.ts";
import { utcDay } from "../../lib/agents/usage.ts";

export type RunState = "queued" | "running" | "waiting" | "done" | "failed" | "dropped";
export type CallState = "pending" | "started" | "awaiting" | "waiting" | "approved" | "denied" | "done";

export type RunRow = {
  id: string;
  task_id: string;
  task: string;
  state: RunState;
  received_at: number;
  started_at: number | null;
  deadline_at: number | null;
  waiting_since: number | null;
  finished_at: number | null;
  steps: number;
  tokens_in: number;
  tokens_out: number;
  tool_calls: number;
  failures: number;
  retry_at: number | null;
  outcome: string | null;
  reported: number;
  reason: string | null;
};

export type CallRow = {
  run_id: string;
  call_id: string;
  seq: number;
  name: string;
  args: string;
  state: CallState;
  approval_id: string | null;
  decision_reason: string | null;
  result: string | null;
};

/** What the mind is to be told when a run ends. */
export type Outcome = { action: "complete"; result: string | null } | { action: "fail"; reason: string; retryable: boolean };

/** Finished runs kept with their conversation; older ones are pruned as new ones finish. */
export const KEEP_FINISHED_RUNS = 200;

export { utcDay };

export class AgentStore {
  readonly sql: SqlStorage;
  #conversation: { runId: string; bodies: string[] } | null = null;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  // ---- settings

  setting<T>(key: string): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM settings WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setSetting(key: string, value: unknown): void {
    this.sql.exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }

  // ---- runs

  /** A dispatched task arrives; a second delivery of the same dispatch changes nothing. */
  receive(task: Task, attempt: number, now: number): boolean {
    const id = `${task.id}#${attempt}`;
    const r = this.sql.exec("INSERT INTO runs (id, task_id, task, state, received_at) VALUES (?, ?, ?, 'queued', ?) ON CONFLICT (id) DO NOTHING RETURNING id", id, task.id, JSON.stringify(task), now).toArray();
    return r.length > 0;
  }

  run(id: string): RunRow | null {
    return this.sql.exec<RunRow>("SELECT * FROM runs WHERE id = ?", id).toArray()[0] ?? null;
  }

  /**
   * The next run to move: an outcome the mind has not acknowledged, else the running run, else the
   * oldest queued one (one task at a time; a run waiting for the owner does not hold others back).
   */
  nextRunnable(now: number): RunRow | null {
    return (
      this.sql
        .exec<RunRow>(
          `SELECT * FROM runs WHERE (retry_at IS NULL OR retry_at <= ?) AND (
             (reported = 0) OR state = 'running' OR (state = 'queued' AND NOT EXISTS (SELECT 1 FROM runs WHERE state = 'running'))
           ) ORDER BY reported, CASE state WHEN 'running' THEN 0 ELSE 1 END, received_at LIMIT 1`,
          now,
        )
        .toArray()[0] ?? null
    );
  }

  /** When the object must wake next: now if a run can move, the earliest retry, or never (null). */
  nextDueAt(now: number): number | null {
    if (this.nextRunnable(now)) return now;
    const r = this.sql
      .exec<{ t: number | null }>(
        "SELECT MIN(retry_at) AS t FROM runs WHERE retry_at IS NOT NULL AND (reported = 0 OR state IN ('running', 'queued'))",
      )
      .one().t;
    return r;
  }

  active(): RunRow[] {
    return this.sql.exec<RunRow>("SELECT * FROM runs WHERE state IN ('queued', 'running', 'waiting') OR reported = 0 ORDER BY received_at").toArray();
  }

  recent(limit: number): RunRow[] {
    return this.sql.exec<RunRow>("SELECT * FROM runs ORDER BY received_at DESC LIMIT ?", limit).toArray();
  }

  update(id: string, fields: Partial<Omit<RunRow, "id">>): void {
    const keys = Object.keys(fields);
    if (keys.length === 0) return;
    this.sql.exec(`UPDATE runs SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE id = ?`, ...keys.map((k) => (fields as Record<string, unknown>)[k] as SqlStorageValue), id);
  }

  /** Ends a run: the outcome waits in the row until the mind has acknowledged it. */
  finish(run: RunRow, state: "done" | "failed" | "dropped", outcome: Outcome | null, now: number): void {
    this.update(run.id, { state, finished_at: now, retry_at: null, outcome: outcome ? JSON.stringify(outcome) : null, reported: outcome ? 0 : 1, reason: outcome?.action === "fail" ? outcome.reason : run.reason });
    if (state !== "dropped") this.addUsage(now, state === "done" ? { tasksDone: 1 } : { tasksFailed: 1 });
    this.prune();
  }

  prune(): void {
    const old = this.sql
      .exec<{ id: string }>("SELECT id FROM runs WHERE state IN ('done', 'failed', 'dropped') AND reported = 1 ORDER BY finished_at DESC LIMIT -1 OFFSET ?", KEEP_FINISHED_RUNS)
      .toArray();
    for (const { id } of old) {
      this.sql.exec("DELETE FROM messages WHERE run_id = ?", id);
      this.sql.exec("DELETE FROM calls WHERE run_id = ?", id);
      this.sql.exec("DELETE FROM runs WHERE id = ?", id);
    }
  }

  // ---- the conversation

  /**
   * The run's conversation as stored, one JSON text per message, ready to send. The run at work
   * keeps it in memory: a step reads it from SQLite only when the count of stored messages no
   * longer matches the copy (another run, or a transaction that appended and rolled back).
   */
  conversation(runId: string): readonly string[] {
    const stored = this.sql.exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM messages WHERE run_id = ?", runId).one().n;
    const copy = this.#conversation;
    if (copy?.runId === runId && copy.bodies.length === stored) return copy.bodies;
    const bodies = this.sql.exec<{ body: string }>("SELECT body FROM messages WHERE run_id = ? ORDER BY seq", runId).toArray().map((r) => r.body);
    this.#conversation = { runId, bodies };
    return bodies;
  }

  append(runId: string, message: ChatMessage): void {
    const body = JSON.stringify(message);
    this.sql.exec("INSERT INTO messages (run_id, seq, body) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE run_id = ?), ?)", runId, runId, body);
    if (this.#conversation?.runId === runId) this.#conversation.bodies.push(body);
  }

  // ---- tool calls

  /** The calls of a model answer; the first `results.length` of them already ran (their results, at `now`). */
  addCalls(runId: string, calls: ToolCall[], results: readonly string[] = [], now: number | null = null): void {
    let seq = this.sql.exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM calls WHERE run_id = ?", runId).one().n;
    for (const [i, c] of calls.entries()) {
      const result = results[i] ?? null;
      this.sql.exec(
        "INSERT INTO calls (run_id, call_id, seq, name, args, state, result, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        runId, c.id, ++seq, c.function.name, c.function.arguments, result === null ? "pending" : "done", result, result === null ? null : now,
      );
    }
  }

  /** The first call of the run that has no recorded result yet. */
  openCall(runId: string): CallRow | null {
    return this.sql.exec<CallRow>("SELECT * FROM calls WHERE run_id = ? AND state != 'done' ORDER BY seq LIMIT 1", runId).toArray()[0] ?? null;
  }

  callByApproval(approvalId: string): CallRow | null {
    return this.sql.exec<CallRow>("SELECT * FROM calls WHERE approval_id = ?", approvalId).toArray()[0] ?? null;
  }

  setCall(runId: string, callId: string, fields: Partial<Pick<CallRow, "state" | "approval_id" | "decision_reason" | "result">> & { started_at?: number; finished_at?: number }): void {
    const keys = Object.keys(fields);
    this.sql.exec(`UPDATE calls SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE run_id = ? AND call_id = ?`, ...keys.map((k) => (fields as Record<string, unknown>)[k] as SqlStorageValue), runId, callId);
  }

  /** Records a call's result and hands it to the model as the tool message, in one step. */
  recordResult(run: RunRow, call: CallRow, content: string, now: number): void {
    this.setCall(run.id, call.call_id, { state: "done", result: content, finished_at: now });
    this.append(run.id, { role: "tool", tool_call_id: call.call_id, content });
    this.sql.exec("UPDATE runs SET tool_calls = tool_calls + 1 WHERE id = ?", run.id);
    this.addUsage(now, { toolCalls: 1 });
  }

  /** Approvals still open in this run (to cancel when it ends). */
  openApprovals(runId: string): string[] {
    return this.sql.exec<{ approval_id: string }>("SELECT approval_id FROM calls WHERE run_id = ? AND approval_id IS NOT NULL AND state IN ('awaiting', 'waiting')", runId).toArray().map((r) => r.approval_id);
  }

  // ---- usage

  addUsage(now: number, d: Partial<Omit<UsageCounters, "cost">> & { cost?: number | null }): void {
    this.sql.exec(
      `INSERT INTO usage_days (day, tokens_in, tokens_out, steps, tool_calls, tasks_done, tasks_failed, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day) DO UPDATE SET tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out,
         steps = steps + excluded.steps, tool_calls = tool_calls + excluded.tool_calls, tasks_done = tasks_done + excluded.tasks_done,
         tasks_failed = tasks_failed + excluded.tasks_failed,
         cost = CASE WHEN excluded.cost IS NULL THEN cost ELSE COALESCE(cost, 0) + excluded.cost END`,
      utcDay(now), d.tokensIn ?? 0, d.tokensOut ?? 0, d.steps ?? 0, d.toolCalls ?? 0, d.tasksDone ?? 0, d.tasksFailed ?? 0, d.cost ?? null,
    );
  }

  usageOn(day: string): UsageCounters {
    const r = this.sql.exec<{ tokens_in: number; tokens_out: number; steps: number; tool_calls: number; tasks_done: number; tasks_failed: number; cost: number | null }>("SELECT * FROM usage_days WHERE day = ?", day).toArray()[0];
    return { tokensIn: r?.tokens_in ?? 0, tokensOut: r?.tokens_out ?? 0, steps: r?.steps ?? 0, toolCalls: r?.tool_calls ?? 0, tasksDone: r?.tasks_done ?? 0, tasksFailed: r?.tasks_failed ?? 0, cost: r?.cost ?? null };
  }

  usageTotal(): UsageCounters {
    const r = this.sql
      .exec<{ a: number | null; b: number | null; c: number | null; d: number | null; e: number | null; f: number | null; g: number | null }>(
        "SELECT SUM(tokens_in) a, SUM(tokens_out) b, SUM(steps) c, SUM(tool_calls) d, SUM(tasks_done) e, SUM(tasks_failed) f, SUM(cost) g FROM usage_days",
      )
      .one();
    return { tokensIn: r.a ?? 0, tokensOut: r.b ?? 0, steps: r.c ?? 0, toolCalls: r.d ?? 0, tasksDone: r.e ?? 0, tasksFailed: r.f ?? 0, cost: r.g };
  }
}

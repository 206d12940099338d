// Handing open work to agents over the bus: each task to a live agent with its capability (the
// least loaded one, not one the mind is holding back), as a direct message to the agent's inbox.
import type { Task } from "../../lib/mind/wire.ts";
import type { Ledger } from "./ledger.ts";
import type { LiveAgent, MindIo } from "./mind-io.ts";
import { DISPATCH_RETRY } from "./schedule.ts";
import type { Settings } from "./settings.ts";
import { OPEN_WORK, toTask, type TaskRow } from "./task-row.ts";

export const DISPATCH_BATCH = 500;
const SEND_CONCURRENCY = 32;
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 60 * 60_000;

export type DispatchOutcome = { dispatched: number; waiting: number; errors: number; more: boolean };

export type DispatchContext = {
  ledger: Ledger;
  settings: Settings;
  io: MindIo;
  /** Agents the mind will not hand work to (govern mode: they are stalled). */
  held: Set<string>;
  /** Per task, the agent it should not go back to (its lease just lapsed there). */
  avoid: Map<string, string>;
};

/** Open tasks some agent could take, most urgent first; work nobody can take does not block it. */
export function openTasks(ledger: Ledger, capabilities: string[], limit: number): TaskRow[] {
  return ledger.sql
    .exec<TaskRow>(
      `SELECT * FROM tasks WHERE state = 'open' AND ${OPEN_WORK} AND capability IN (SELECT value FROM json_each(?)) ORDER BY priority DESC, created_at LIMIT ?`,
      JSON.stringify(capabilities), limit,
    )
    .toArray();
}

function openCount(ledger: Ledger): number {
  return ledger.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open'").one().n;
}

function inFlightByAgent(ledger: Ledger): Map<string, number> {
  const rows = ledger.sql.exec<{ assignee: string; n: number }>("SELECT assignee, COUNT(*) AS n FROM tasks WHERE state IN ('dispatched', 'claimed') GROUP BY assignee").toArray();
  return new Map(rows.map((r) => [r.assignee, r.n]));
}

/** A bus message is at most 256 KiB: a bigger payload stays in the ledger (GET /v1/work/:id). */
const INLINE_PAYLOAD_BYTES = 192 * 1024;

export function taskMessage(task: Task) {
  const inline = new TextEncoder().encode(JSON.stringify(task.payload ?? null)).byteLength <= INLINE_PAYLOAD_BYTES;
  const body = inline ? { type: "seed.task", task } : { type: "seed.task", task: { ...task, payload: null }, payloadOmitted: true };
  return { body, headers: { "seed-kind": "task", "seed-task-id": task.id }, key: `task:${task.id}:${task.attempts + 1}` };
}

export async function dispatchOpen(c: DispatchContext): Promise<DispatchOutcome> {
  const total = openCount(c.ledger);
  if (total === 0) {
    c.ledger.schedule.remove(DISPATCH_RETRY);
    c.settings.set("idleDispatches", 0);
    return { dispatched: 0, waiting: 0, errors: 0, more: false };
  }
  const agents = (await c.io.listAgents()).filter((a) => !c.held.has(a.id));
  const capabilities = [...new Set(agents.flatMap((a) => a.capabilities))];
  const open = openTasks(c.ledger, capabilities, DISPATCH_BATCH + 1);
  const more = open.length > DISPATCH_BATCH;
  if (more) open.pop();
  const load = inFlightByAgent(c.ledger);
  const plan: { task: TaskRow; agent: LiveAgent }[] = [];
  for (const task of open) {
    const agent = pick(agents, task, load, c.avoid.get(task.id))!;
    load.set(agent.id, (load.get(agent.id) ?? 0) + 1);
    plan.push({ task, agent });
  }
  const waiting = c.ledger.sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open' AND capability NOT IN (SELECT value FROM json_each(?))", JSON.stringify(capabilities))
    .one().n;

  let dispatched = 0;
  let errors = 0;
  for (let i = 0; i < plan.length; i += SEND_CONCURRENCY) {
    const chunk = plan.slice(i, i + SEND_CONCURRENCY);
    // The idempotency key makes a resend after a crash (sent, not yet recorded) deliver once.
    const results = await Promise.all(chunk.map(({ task, agent }) => c.io.sendToInbox(agent.id, taskMessage(toTask(task))).catch(() => ({ ok: false as const }))));
    chunk.forEach(({ task, agent }, j) => {
      if (!results[j]!.ok) errors++;
      else if (c.ledger.markDispatched(task.id, agent.id)) dispatched++;
    });
  }

  const stuck = waiting + errors;
  if (stuck > 0) {
    // Work nobody can take yet: look again later, backing off, rather than spinning.
    const n = (c.settings.get("idleDispatches") ?? 0) + 1;
    c.settings.set("idleDispatches", n);
    c.ledger.schedule.set(DISPATCH_RETRY, c.ledger.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (n - 1)));
  } else {
    c.settings.set("idleDispatches", 0);
    c.ledger.schedule.remove(DISPATCH_RETRY);
  }
  return { dispatched, waiting, errors, more };
}

function pick(agents: LiveAgent[], task: TaskRow, load: Map<string, number>, avoid: string | undefined): LiveAgent | null {
  const able = agents.filter((a) => a.capabilities.includes(task.capability));
  if (able.length === 0) return null;
  const preferred = able.length > 1 && avoid ? able.filter((a) => a.id !== avoid) : able;
  return preferred.reduce((best, a) => ((load.get(a.id) ?? 0) < (load.get(best.id) ?? 0) ? a : best));
}

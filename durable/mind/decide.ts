// Deciding what an event asks for: the owner's rules first; what no rule covers goes to the
// planner, if one is configured. Pure over its inputs: the cycle writes what this returns.
import { renderTemplate } from "../../lib/mind/template.ts";
import type { Rule, TaskInput } from "../../lib/mind/wire.ts";
import { TaskInput as TaskInputSchema } from "../../lib/mind/wire.ts";
import type { EventRow } from "./event-store.ts";

export class DecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecisionError";
  }
}

export type PlannedEvent = { id: string; source: string; type: string; data: unknown; body: unknown };

/**
 * What templates and the planner see of an event: `body` is its whole JSON; `data` is the
 * Standard Webhooks envelope's `data` when there is one, else the whole body (e.g. GitHub's).
 */
export function eventContext(e: EventRow): PlannedEvent {
  let body: unknown = null;
  try {
    body = JSON.parse(e.body);
  } catch {
    body = e.body;
  }
  const data = body !== null && typeof body === "object" && !Array.isArray(body) && "data" in body ? (body as { data: unknown }).data : body;
  return { id: e.id, source: e.source, type: e.type, data, body };
}

/** The tasks the rules make of one event; throws DecisionError when the event cannot make a valid task. */
export function tasksFromRules(e: EventRow, rules: Rule[]): TaskInput[] {
  const ctx = eventContext(e);
  return rules.map((rule) => {
    const title = renderTemplate(rule.title, ctx as unknown as Record<string, unknown>).trim() || `${e.type} from ${e.source}`;
    return validTask({ title, capability: rule.capability, payload: { event: e.id, type: e.type, data: ctx.data }, priority: rule.priority, deadlineInMs: rule.deadlineInMs }, `rule ${rule.id}`);
  });
}

export function validTask(candidate: Record<string, unknown>, origin: string): TaskInput {
  const clean = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined));
  const r = TaskInputSchema.safeParse(clean);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new DecisionError(`${origin} makes an invalid task: ${issue.path.join(".") || "task"}: ${issue.message}`);
}

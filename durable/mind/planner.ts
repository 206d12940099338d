// The optional LLM planner: an OpenAI-compatible chat-completions endpoint the owner configured,
// reached only through the LLM service binding (egress is otherwise closed). It proposes tasks for
// events no rule covers; its answer is validated like any other input.
import { z } from "zod";
import type { PlannerConfig, TaskInput } from "../../lib/mind/wire.ts";
import { CAPABILITY } from "../../lib/mind/wire.ts";
import type { PlannedEvent } from "./decide.ts";
import { DecisionError, validTask } from "./decide.ts";

export class PlannerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlannerError";
  }
}

export const PLANNER_TIMEOUT_MS = 30_000;

const SYSTEM = [
  "You are the planner of an autonomous organism's work loop.",
  "For each event, decide which tasks (if any) it needs. Use only the capabilities listed.",
  'Answer with one JSON object: {"tasks":[{"eventId":"…","capability":"…","title":"…","priority":0-9,"deadlineInMs":optional}]}.',
  "An event that needs nothing gets no task.",
].join(" ");

const Answer = z.object({
  tasks: z.array(
    z.object({
      eventId: z.string(),
      capability: z.string().regex(CAPABILITY),
      title: z.string().min(1).max(500),
      priority: z.number().int().min(0).max(9).optional(),
      deadlineInMs: z.number().int().min(1).optional(),
    }),
  ).max(1000),
});

const Completion = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1) });

export type PlannerCall = {
  fetcher: Fetcher | undefined;
  config: PlannerConfig;
  apiKey: { host: string; secret: string } | null;
  capabilities: string[];
};

export type Plan = { byEvent: Map<string, TaskInput[]>; rejected: number };

export async function plan(call: PlannerCall, events: PlannedEvent[]): Promise<Plan> {
  if (!call.fetcher) throw new PlannerError("no LLM service is configured (seed services set LLM --url …)");
  // The request names the credential's own host, so the key only ever travels to where it belongs.
  const host = call.apiKey?.host ?? "llm.internal";
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (call.apiKey) headers.Authorization = `Bearer ${call.apiKey.secret}`;
  const user = JSON.stringify({ capabilities: call.capabilities, events: events.map((e) => ({ eventId: e.id, source: e.source, type: e.type, data: e.data })) });
  let res: Response;
  try {
    res = await call.fetcher.fetch(`http://${host}${call.config.path}`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: call.config.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [
          { role: "system", content: SYSTEM },
          { role: "user", content: user },
        ],
      }),
      signal: AbortSignal.timeout(PLANNER_TIMEOUT_MS),
    });
  } catch (err) {
    throw new PlannerError(`the LLM endpoint is unreachable (${err instanceof Error ? err.name : "error"})`);
  }
  if (!res.ok) throw new PlannerError(`the LLM endpoint answered ${res.status}`);
  const completion = Completion.safeParse(await res.json().catch(() => null));
  if (!completion.success) throw new PlannerError("the LLM endpoint's answer is not a chat completion");
  const content = completion.data.choices[0]!.message.content ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new PlannerError("the planner's answer is not JSON");
  }
  const answer = Answer.safeParse(parsed);
  if (!answer.success) throw new PlannerError(`the planner's answer has the wrong shape: ${answer.error.issues[0]!.message}`);

  const known = new Set(events.map((e) => e.id));
  const allowed = new Set(call.capabilities);
  const byEvent = new Map<string, TaskInput[]>();
  let rejected = 0;
  for (const t of answer.data.tasks) {
    const e = events.find((x) => x.id === t.eventId);
    if (!known.has(t.eventId) || !allowed.has(t.capability) || !e) {
      rejected++;
      continue;
    }
    try {
      const task = validTask({ title: t.title, capability: t.capability, priority: t.priority, deadlineInMs: t.deadlineInMs, payload: { event: e.id, type: e.type, data: e.data, plannedBy: call.config.model } }, "the planner");
      byEvent.set(e.id, [...(byEvent.get(e.id) ?? []), task]);
    } catch (err) {
      if (!(err instanceof DecisionError)) throw err;
      rejected++;
    }
  }
  return { byEvent, rejected };
}

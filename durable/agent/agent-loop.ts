// One step of one run of the seed's own agent. A step is either a model turn (the conversation so
// far → the model's answer, recorded with its usage and the results of the leading calls that only
// read or note) or one tool call (run, result recorded, handed to the model as a tool message). Each step is committed to the object's SQLite before the next
// begins, so after a crash the run resumes at the first step without a recorded result; a tool
// call whose result was recorded never runs again.
import { complete, ModelError, type ChatMessage, type ToolSpec } from "../../lib/agents/chat-completions.ts";
import { chatCompletionsUrl, credentialFits } from "../../lib/agents/declared-services.ts";
import { listMcpTools } from "../../lib/agents/mcp-client.ts";
import { mcpToolName, stableToolSpecs } from "../../lib/agents/tool-catalog.ts";
import { grantedServices, parseGrants, type ToolGrant } from "../../lib/agents/tool-grants.ts";
import type { AgentSpec, FailReason } from "../../lib/agents/wire.ts";
import { randomId } from "../../lib/keys.ts";
import type { Task } from "../../lib/mind/wire.ts";
import type { AgentIo } from "./agent-io.ts";
import { utcDay, type AgentStore, type CallRow, type Outcome, type RunRow } from "./agent-store.ts";
import { errorResult, mcpTarget, runTool, TOOL_TIMEOUT_MS, type McpToolRef, type ToolContext } from "./tool-runner.ts";

export const MODEL_TIMEOUT_MS = 120_000;
/** Transient failures (model or mind unreachable) of one run before it fails. */
export const MAX_FAILURES = 6;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** How long a discovered MCP tool list is used before it is asked for again. */
const MCP_TOOLS_TTL_MS = 5 * 60_000;

export type AgentParts = {
  storage: DurableObjectStorage;
  store: AgentStore;
  io: AgentIo;
  now(): number;
  agentId: string;
  /**
   * In memory only (a crash loses at most the note not yet sent): what the mind is still to hear,
   * when it last heard of this agent's work, and the report to the mind in flight (at most one;
   * notes written meanwhile coalesce).
   */
  pending: { note: string | null; toldAt: number; mirroredAt: number; beat: Promise<void> | null; usageDirty: boolean };
};

/**
 * Progress reaches the mind at most this often (the latest note). A claim counts: the mind's lease
 * and stall watch need a sign of life, not every step of a fast agent (minutes, not milliseconds).
 */
export const PROGRESS_EVERY_MS = 1000;

/** libSQL's copy of the usage is refreshed at most this often while a task runs (and at its end). */
const MIRROR_EVERY_MS = 10_000;

type Spec = { name: string; spec: AgentSpec; version: number };

const backoff = (failures: number) => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));

/** Moves one run by one step. Never throws for a failure it can name: it records it instead. */
export async function advance(p: AgentParts, run: RunRow): Promise<void> {
  if (run.reported === 0) return report(p, run);
  if (run.state === "queued") return start(p, run);
  if (run.state !== "running") return;
  const agent = p.store.setting<Spec>("agent");
  if (!agent) return end(p, run, "failed", { action: "fail", reason: "agent_removed", retryable: true });
  if (run.deadline_at !== null && p.now() >= run.deadline_at) return fail(p, run, "timeout", `the task ran out of its time (${Math.round(agent.spec.maxTaskTimeMs / 1000)} s)`);
  const call = p.store.openCall(run.id);
  if (call) return toolStep(p, run, call, agent);
  return modelStep(p, run, agent);
}

// ---- starting: claim the task, then set up the conversation

async function start(p: AgentParts, run: RunRow): Promise<void> {
  const rec = await p.io.loadAgent(p.agentId).catch(() => undefined);
  if (rec === undefined) return retryLater(p, run, "libSQL is unreachable");
  if (rec === null) return end(p, run, "failed", { action: "fail", reason: "agent_removed", retryable: true });
  p.store.setSetting("agent", { name: rec.name, spec: rec.spec, version: rec.version } satisfies Spec);
  const claim = await p.io.transition(p.agentId, run.task_id, "claim", {}).catch(() => null);
  if (claim === null) return retryLater(p, run, "the mind is unreachable");
  if (!claim.ok) {
    if (claim.error.status !== 404 && claim.error.status !== 409) return retryLater(p, run, claim.error.message);
    // Claimed before a crash that came before it was recorded here: the claim is ours already.
    const mine = await p.io.getTask(run.task_id).catch(() => null);
    if (!mine?.ok || mine.value.state !== "claimed" || mine.value.assignee !== p.agentId) return end(p, run, "dropped", null, claim.error.message);
  }
  const task = JSON.parse(run.task) as Task;
  const now = p.now();
  p.pending.toldAt = now;
  p.storage.transactionSync(() => {
    p.store.update(run.id, { state: "running", started_at: now, deadline_at: now + rec.spec.maxTaskTimeMs, failures: 0, retry_at: null });
    p.store.append(run.id, { role: "system", content: systemPrompt(rec.name, rec.spec) });
    p.store.append(run.id, { role: "user", content: JSON.stringify({ task: { id: task.id, title: task.title, capability: task.capability, payload: task.payload ?? null, source: task.source, priority: task.priority, deadline: task.deadline } }) });
  });
}

function systemPrompt(name: string, spec: AgentSpec): string {
  return `${spec.instructions.trim()}

---
You are ${name}, one of the agents of this organism (a seed). You work on one task at a time; the
task arrives as JSON in the next message. Use the tools you are given when they help. When the task
is done, answer without calling a tool: that final answer is the task's result.${spec.tools.includes("work") ? " If the task cannot be done, call work_fail with the reason." : ""}`;
}

// ---- a model turn

async function modelStep(p: AgentParts, run: RunRow, agent: Spec): Promise<void> {
  const { spec } = agent;
  if (run.steps >= spec.maxSteps) return fail(p, run, "max_steps", `the task used its ${spec.maxSteps} steps without finishing`);
  const today = spec.budgetTokensPerDay === null ? null : p.store.usageOn(utcDay(p.now()));
  if (today && spec.budgetTokensPerDay !== null && today.tokensIn + today.tokensOut >= spec.budgetTokensPerDay) {
    return fail(p, run, "budget_exhausted", `the agent spent its ${spec.budgetTokensPerDay} tokens for ${utcDay(p.now())}`);
  }
  const grants = parseGrants(spec.tools);
  const mcp = await mcpTools(p, grants, run);
  const endpoint = await llmEndpoint(p, spec);
  if ("error" in endpoint) return fail(p, run, "model_error", endpoint.error);
  // The previous step's progress goes to the mind while the model works on this one.
  heartbeat(p, run);
  let answer;
  try {
    answer = await complete({
      fetcher: endpoint.fetcher,
      url: endpoint.url,
      apiKey: endpoint.apiKey,
      model: spec.model,
      messages: p.store.conversation(run.id),
      tools: [...stableToolSpecs(grants), ...mcp.specs],
      temperature: spec.temperature,
      timeoutMs: Math.min(MODEL_TIMEOUT_MS, (run.deadline_at ?? Infinity) - p.now()),
    });
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    if (p.store.run(run.id)?.state !== "running") return;
    if (!err.transient || run.failures + 1 >= MAX_FAILURES) return fail(p, run, "model_error", err.message);
    return retryLater(p, run, err.message);
  }
  // Ids the model repeats within one answer would collide: the seed makes them unique.
  const seen = new Set<string>();
  const calls = answer.toolCalls.map((c) => {
    let id = c.id;
    while (seen.has(id)) id = `${c.id}~${seen.size}`;
    seen.add(id);
    return { ...c, id };
  });
  if (p.store.run(run.id)?.state !== "running") return; // dropped or stopped meanwhile: the answer is moot
  // The leading calls that read or note and need no approval run now, and their results are
  // recorded with the answer in one transaction: a crash before it asks the model again, which
  // repeats nothing that must not be repeated. Every other call is recorded first, then run.
  const results: string[] = [];
  const notes: string[] = [];
  for (const c of calls) {
    if (!PURE(c.function.name, c.function.arguments) || spec.approve.includes(c.function.name)) break;
    const out = await runTool(toolContext(p, run, agent, c.id), c.function.name, c.function.arguments);
    results.push(out.content);
    if (out.effect.note) notes.push(out.effect.note);
  }
  if (results.length > 0 && p.store.run(run.id)?.state !== "running") return;
  const now = p.now();
  const cost = spec.price ? (answer.tokensIn * spec.price.input + answer.tokensOut * spec.price.output) / 1e6 : null;
  const message: ChatMessage = { role: "assistant", content: answer.content, ...(calls.length ? { tool_calls: calls } : {}) };
  p.storage.transactionSync(() => {
    p.store.append(run.id, message);
    p.store.addCalls(run.id, calls, results, now);
    for (const [i, content] of results.entries()) p.store.append(run.id, { role: "tool", tool_call_id: calls[i]!.id, content });
    p.store.update(run.id, { steps: run.steps + 1, tokens_in: run.tokens_in + answer.tokensIn, tokens_out: run.tokens_out + answer.tokensOut, tool_calls: run.tool_calls + results.length, failures: 0, retry_at: null });
    p.store.addUsage(now, { tokensIn: answer.tokensIn, tokensOut: answer.tokensOut, steps: 1, toolCalls: results.length, cost });
  });
  if (calls.length === 0) {
    return end(p, { ...run, steps: run.steps + 1 }, "done", { action: "complete", result: answer.content });
  }
  p.pending.note = notes.at(-1)?.slice(0, 2000) ?? `step ${run.steps + 1}: ${calls.map((c) => c.function.name).join(", ")}`;
}

/** The LLM service's URL and key: the agent's credential, else the one the LLM service declares. */
async function llmEndpoint(p: AgentParts, spec: AgentSpec): Promise<{ fetcher: Fetcher | undefined; url: string; apiKey: string | null } | { error: string }> {
  const fetcher = p.io.fetcher("LLM");
  const service = p.io.services().LLM;
  const credName = spec.credential ?? service?.credential ?? null;
  const cred = credName ? await p.io.credential(credName) : null;
  if (credName && !cred) return { error: `the credential ${credName} does not exist` };
  if (service) {
    if (cred && !credentialFits(service, cred.host)) return { error: `the credential ${credName} is bound to ${cred.host}, not to the LLM service's host` };
    return { fetcher, url: chatCompletionsUrl(service), apiKey: cred?.secret ?? null };
  }
  // No declaration to read (an older config): address the credential's own host, like the planner.
  return { fetcher, url: `http://${cred?.host ?? "llm.internal"}/v1/chat/completions`, apiKey: cred?.secret ?? null };
}

/** The tools of the MCP servers this agent may use, discovered through their services and cached. */
async function mcpTools(p: AgentParts, grants: readonly ToolGrant[], run: RunRow): Promise<{ specs: ToolSpec[]; refs: Record<string, McpToolRef> }> {
  const specs: ToolSpec[] = [];
  const refs: Record<string, McpToolRef> = {};
  for (const server of grantedServices(grants, "mcp")) {
    type Cached = { at: number; tools: { name: string; description: string; inputSchema: Record<string, unknown> }[] };
    let cached = p.store.setting<Cached>(`mcp:${server}`);
    if (!cached || p.now() - cached.at > MCP_TOOLS_TTL_MS) {
      try {
        const { target } = await mcpTarget({ io: p.io, remainingMs: Math.min(TOOL_TIMEOUT_MS, (run.deadline_at ?? Infinity) - p.now()) }, server);
        cached = { at: p.now(), tools: await listMcpTools(target) };
        p.store.setSetting(`mcp:${server}`, cached);
      } catch {
        // The server is down or undeclared: its tools are missing from this turn, the rest work.
        if (!cached) continue;
      }
    }
    for (const t of cached.tools) {
      const name = mcpToolName(server, t.name);
      refs[name] = { server, tool: t.name };
      specs.push({ type: "function", function: { name, description: `${t.description} (MCP server ${server})`.trim(), parameters: t.inputSchema } });
    }
  }
  return { specs, refs };
}

export function mcpRefs(p: AgentParts): Record<string, McpToolRef> {
  const refs: Record<string, McpToolRef> = {};
  const agent = p.store.setting<Spec>("agent");
  if (!agent) return refs;
  for (const server of grantedServices(parseGrants(agent.spec.tools), "mcp")) {
    const cached = p.store.setting<{ tools: { name: string }[] }>(`mcp:${server}`);
    for (const t of cached?.tools ?? []) refs[mcpToolName(server, t.name)] = { server, tool: t.name };
  }
  return refs;
}

// ---- a tool call

async function toolStep(p: AgentParts, run: RunRow, call: CallRow, agent: Spec): Promise<void> {
  const gated = agent.spec.approve.includes(call.name);
  if (call.state === "denied") {
    p.storage.transactionSync(() => p.store.recordResult(run, call, errorResult("denied", `the owner denied this call${call.decision_reason ? `: ${call.decision_reason}` : ""}`), p.now()));
    p.pending.note = `${call.name} denied by the owner`;
    return;
  }
  if (gated && (call.state === "pending" || call.state === "awaiting")) return requestApproval(p, run, call);
  if (call.state === "waiting") {
    // Only decide() moves a waiting call; a run found running with one has been resumed wrongly.
    p.store.update(run.id, { state: "waiting" });
    return;
  }
  if (call.state === "started" && !RERUNNABLE(call)) {
    // It began before a crash and its outcome is unknown: running it again could do it twice.
    p.storage.transactionSync(() =>
      p.store.recordResult(run, call, errorResult("interrupted", `the seed restarted while ${call.name} was running; it may or may not have taken effect — check before trying again`), p.now()),
    );
    return;
  }
  // On disk before a call that must not run twice; a rerunnable one may simply run again (its
  // row says nothing until its result is recorded).
  if (!RERUNNABLE(call)) {
    p.store.setCall(run.id, call.call_id, { state: "started", started_at: p.now() });
    await p.storage.sync();
  }
  const out = await runTool(toolContext(p, run, agent, call.call_id), call.name, call.args);
  const fresh = p.store.run(run.id);
  if (!fresh || fresh.state !== "running") return; // stopped or dropped meanwhile: the result is moot
  p.storage.transactionSync(() => p.store.recordResult(fresh, call, out.content, p.now()));
  if (out.effect.note) p.pending.note = out.effect.note.slice(0, 2000);
  if (out.effect.fail) return end(p, fresh, "failed", { action: "fail", reason: out.effect.fail.reason, retryable: out.effect.fail.retryable });
}

function toolContext(p: AgentParts, run: RunRow, agent: Spec, callId: string): ToolContext {
  const now = p.now();
  return {
    agentId: p.agentId,
    agentName: agent.name,
    taskId: run.task_id,
    runId: run.id,
    callId,
    grants: parseGrants(agent.spec.tools),
    mcpTools: mcpRefs(p),
    io: p.io,
    now,
    remainingMs: (run.deadline_at ?? Infinity) - now,
  };
}

/** Calls that change nothing outside the task's own conversation: reads and progress notes. */
function PURE(name: string, args: string): boolean {
  if (name === "memory_recall" || name === "work_progress") return true;
  if (name === "http_request") {
    try {
      const m = (JSON.parse(args) as { method?: string }).method ?? "GET";
      return m === "GET" || m === "HEAD";
    } catch {
      return true; // refused as invalid arguments: nothing runs
    }
  }
  return false;
}

/** Calls that are safe to run again when a crash left their outcome unknown. */
const RERUNNABLE = (call: CallRow): boolean => PURE(call.name, call.args) || call.name === "bus_publish"; // bus_publish carries an idempotency key (the recorded call's id)

async function requestApproval(p: AgentParts, run: RunRow, call: CallRow): Promise<void> {
  const id = call.approval_id ?? `apr_${randomId(16)}`;
  if (call.state === "pending") p.store.setCall(run.id, call.call_id, { state: "awaiting", approval_id: id });
  await p.storage.sync();
  try {
    await p.io.putApproval({ id, agentId: p.agentId, taskId: run.task_id, tool: call.name, arguments: call.args.slice(0, 16_384), requestedAt: p.now() });
  } catch {
    return retryLater(p, run, "libSQL is unreachable (approval not recorded yet)");
  }
  const now = p.now();
  p.storage.transactionSync(() => {
    p.store.setCall(run.id, call.call_id, { state: "waiting" });
    p.store.update(run.id, { state: "waiting", waiting_since: now, retry_at: null });
  });
  // The mind stops expecting heartbeats while the owner decides: a waiting task costs nothing.
  await settled(p);
  p.pending.note = null; // the wait says more, and the note must not go out on another run's task
  await p.io.transition(p.agentId, run.task_id, "wait", { note: `waiting for the owner's approval of ${call.name} (${id})` }).catch(() => null);
  await mirrorUsage(p);
}

/** The owner's decision on a waiting call; the run resumes at its next step. */
export function decide(p: AgentParts, approvalId: string, approved: boolean, reason: string | null): { runId: string; taskId: string; tool: string } | { error: "not_found" | "not_waiting" } {
  const call = p.store.callByApproval(approvalId);
  if (!call) return { error: "not_found" };
  const run = p.store.run(call.run_id);
  if (!run || call.state !== "waiting" || run.state !== "waiting") return { error: "not_waiting" };
  const now = p.now();
  p.storage.transactionSync(() => {
    p.store.setCall(run.id, call.call_id, { state: approved ? "approved" : "denied", decision_reason: reason });
    // The task's clock stood still while the owner decided.
    const waited = run.waiting_since === null ? 0 : now - run.waiting_since;
    p.store.update(run.id, { state: "running", waiting_since: null, deadline_at: run.deadline_at === null ? null : run.deadline_at + waited });
  });
  return { runId: run.id, taskId: run.task_id, tool: call.name };
}

// ---- telling the mind

/**
 * Sends the pending progress note to the mind (and libSQL's usage copy when it is due) without
 * holding up the step: at most one report is in flight, at most one per PROGRESS_EVERY_MS, and
 * notes written meanwhile coalesce into the latest, sent at a later step. Whoever tells the mind
 * more (the outcome, a wait) first awaits settled(), so the mind hears things in order.
 */
function heartbeat(p: AgentParts, run: RunRow): void {
  const due = () => p.pending.note !== null && p.now() - p.pending.toldAt >= PROGRESS_EVERY_MS;
  if (p.pending.beat || !due()) return;
  p.pending.beat = (async () => {
    let refused: string | null = null;
    while (due() && refused === null) {
      const note = p.pending.note!;
      p.pending.note = null;
      p.pending.toldAt = p.now();
      const mirror = p.now() - p.pending.mirroredAt >= MIRROR_EVERY_MS ? mirrorUsage(p) : Promise.resolve();
      const [r] = await Promise.all([p.io.transition(p.agentId, run.task_id, "progress", { note }).catch(() => null), mirror]);
      // The task is no longer ours (expired, re-dispatched by a governing mind): stop working on it.
      if (r && !r.ok && (r.error.status === 404 || r.error.status === 409)) refused = r.error.message;
    }
    p.pending.beat = null;
    const fresh = refused === null ? null : p.store.run(run.id);
    if (fresh && fresh.state === "running") await end(p, fresh, "dropped", null, refused!);
  })().catch((err: unknown) => {
    p.pending.beat = null;
    console.error(`agent ${p.agentId}: progress report failed (${err instanceof Error ? err.name : "error"})`);
  });
}

/** Waits until no progress report is in flight. */
export async function settled(p: AgentParts): Promise<void> {
  while (p.pending.beat) await p.pending.beat;
}

async function fail(p: AgentParts, run: RunRow, reason: FailReason, detail: string): Promise<void> {
  await end(p, run, "failed", { action: "fail", reason, retryable: false }, detail);
}

/** Ends a run; the outcome stays in the row until the mind has it. */
export async function end(p: AgentParts, run: RunRow, state: "done" | "failed" | "dropped", outcome: Outcome | null, detail?: string): Promise<void> {
  await settled(p); // the progress already on its way reaches the mind before the outcome
  p.pending.note = null; // the outcome says more than a progress note
  const cancelled = p.store.openApprovals(run.id);
  p.storage.transactionSync(() => {
    p.store.finish(run, state, outcome, p.now());
    if (detail) p.store.update(run.id, { reason: outcome?.action === "fail" ? `${outcome.reason}: ${detail}`.slice(0, 2000) : detail.slice(0, 2000) });
  });
  if (cancelled.length) await p.io.settleApprovals(cancelled, "cancelled", "agent", `the task ended (${state})`, p.now()).catch(() => {});
  const fresh = p.store.run(run.id);
  if (fresh && fresh.reported === 0) await report(p, fresh);
  else await mirrorSoon(p);
}

async function report(p: AgentParts, run: RunRow): Promise<void> {
  const o = JSON.parse(run.outcome ?? "null") as Outcome | null;
  if (!o) return p.store.update(run.id, { reported: 1 });
  const detail = run.reason ?? (o.action === "fail" ? o.reason : undefined);
  const r = await p.io
    .transition(p.agentId, run.task_id, o.action, o.action === "complete" ? { result: o.result } : { reason: (detail ?? o.reason).slice(0, 2000), retryable: o.retryable })
    .catch(() => null);
  if (r === null || (!r.ok && r.error.status !== 404 && r.error.status !== 409)) {
    const failures = run.failures + 1;
    p.store.update(run.id, { failures, retry_at: p.now() + backoff(failures) });
    return;
  }
  p.store.update(run.id, { reported: 1, retry_at: null, failures: 0 });
  await mirrorSoon(p);
}

async function retryLater(p: AgentParts, run: RunRow, why: string): Promise<void> {
  const failures = run.failures + 1;
  if (failures >= MAX_FAILURES) {
    if (run.state === "queued") return end(p, run, "failed", { action: "fail", reason: "agent_failed", retryable: true }, why);
    return fail(p, run, "model_error", why);
  }
  p.store.update(run.id, { failures, retry_at: p.now() + backoff(failures), reason: why.slice(0, 2000) });
}

/** Today's usage as the owner reads it (libSQL); best effort, the object's own count is the truth. */
export async function mirrorUsage(p: AgentParts): Promise<void> {
  const now = p.now();
  p.pending.mirroredAt = now;
  p.pending.usageDirty = false;
  const day = utcDay(now);
  await p.io.putUsage(p.agentId, day, p.store.usageOn(day), now).catch(() => {});
}

/**
 * After a task: libSQL's copy now if the last one is 10 s old, else when the object's loop ends
 * (flushUsage) — an agent working through a queue writes it once, not once per task.
 */
async function mirrorSoon(p: AgentParts): Promise<void> {
  if (p.now() - p.pending.mirroredAt >= MIRROR_EVERY_MS) await mirrorUsage(p);
  else p.pending.usageDirty = true;
}

/** libSQL's copy, if a task ended since it was written. */
export async function flushUsage(p: AgentParts): Promise<void> {
  if (p.pending.usageDirty) await mirrorUsage(p);
}

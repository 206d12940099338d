// Runs one tool call of the seed's own agent and returns what the model reads as the result.
// Nothing here throws at the model: a refusal, bad arguments or a failing service come back as a
// JSON `{error, message}` so that the model can see why and adjust.
import type { z } from "zod";
import { credentialFits, serviceUrl, type DeclaredService } from "../../lib/agents/declared-services.ts";
import { callMcpTool, type McpTarget } from "../../lib/agents/mcp-client.ts";
import { isStableTool, stableToolGranted, ToolArgs, type StableTool } from "../../lib/agents/tool-catalog.ts";
import { mcpGranted, serviceGranted, topicGranted, type ToolGrant } from "../../lib/agents/tool-grants.ts";
import { HttpError } from "../../lib/errors.ts";
import { redact } from "../../lib/agents/redact.ts";
import { RecallBody } from "../../lib/memory/memory-input.ts";
import { recall } from "../../lib/memory/recall.ts";
import { remember } from "../../lib/memory/remember.ts";
import { TOPIC } from "../../lib/bus/wire.ts";
import type { AgentIo } from "./agent-io.ts";

/** What a tool result may weigh in the conversation; the rest is cut with a note. */
export const MAX_RESULT_CHARS = 16 * 1024;
export const TOOL_TIMEOUT_MS = 30_000;

export type McpToolRef = { server: string; tool: string };

export type ToolContext = {
  agentId: string;
  agentName: string;
  taskId: string;
  runId: string;
  callId: string;
  grants: readonly ToolGrant[];
  /** MCP tools as the model knows them (`mcp_<server>_<tool>`) → the server's own name. */
  mcpTools: Record<string, McpToolRef>;
  io: AgentIo;
  now: number;
  /** Time left in the task: no tool call outlives it. */
  remainingMs: number;
};

/**
 * What a tool leaves to the loop: `fail` when its outcome decides the task (work_fail); `note` a
 * progress note for the mind (work_progress), sent by the loop's heartbeat, off the step's path.
 */
export type ToolEffect = { fail?: { reason: string; retryable: boolean }; note?: string };

export class Refusal extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export const errorResult = (code: string, message: string) => JSON.stringify({ error: code, message });

export function clip(text: string): string {
  return text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}\n[… ${text.length - MAX_RESULT_CHARS} more characters cut by the seed]`;
}

function parseArgs<S extends z.ZodType>(schema: S, raw: string): z.output<S> {
  let value: unknown;
  try {
    value = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw new Refusal("invalid_arguments", "the arguments are not valid JSON");
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Refusal("invalid_arguments", `${issue.path.join(".") || "arguments"}: ${issue.message}`);
  }
  return r.data;
}

export async function runTool(ctx: ToolContext, name: string, rawArgs: string): Promise<{ content: string; effect: ToolEffect }> {
  const effect: ToolEffect = {};
  try {
    const value = await dispatch(ctx, name, rawArgs, effect);
    return { content: clip(typeof value === "string" ? value : JSON.stringify(value ?? null)), effect };
  } catch (err) {
    if (err instanceof Refusal) return { content: errorResult(err.code, err.message), effect };
    if (err instanceof HttpError) return { content: errorResult(err.code, err.message), effect };
    // An organ of the seed failed (libSQL, the bus): the model may try again later.
    return { content: errorResult("tool_failed", `${name} failed inside the seed (${err instanceof Error ? err.name : "error"}); you may try again`), effect };
  }
}

async function dispatch(ctx: ToolContext, name: string, raw: string, effect: ToolEffect): Promise<unknown> {
  const mcp = ctx.mcpTools[name];
  if (mcp) {
    if (!mcpGranted(ctx.grants, mcp.server)) throw new Refusal("not_granted", `${name}: the MCP server ${mcp.server} is not granted to this agent`);
    return callMcp(ctx, mcp, raw);
  }
  if (!isStableTool(name)) throw new Refusal("unknown_tool", `there is no tool ${JSON.stringify(name.slice(0, 80))}; use only the tools you were given`);
  if (!stableToolGranted(ctx.grants, name)) throw new Refusal("not_granted", `${name} is not granted to this agent`);
  return STABLE[name](ctx, raw, effect);
}

const STABLE: Record<StableTool, (ctx: ToolContext, raw: string, effect: ToolEffect) => Promise<unknown>> = {
  async memory_recall(ctx, raw) {
    const a = parseArgs(ToolArgs.memory_recall, raw);
    const input = RecallBody.parse({ query: a.query, k: a.k, tags: a.tags });
    const r = await recall(ctx.io.db(), input, { scope: { kind: "agent", agentId: ctx.agentId }, env: ctx.io.memoryEnv(), now: ctx.now });
    return { results: r.results.map((m) => ({ id: m.id, text: m.text, tags: m.tags, kind: m.kind, shared: m.shared, createdAt: new Date(m.createdAt).toISOString(), score: m.score })) };
  },
  async memory_remember(ctx, raw) {
    const a = parseArgs(ToolArgs.memory_remember, raw);
    const [id] = await remember(ctx.io.db(), { ...a, agentId: ctx.agentId, source: `agent:${ctx.agentName}` }, { env: ctx.io.memoryEnv(), now: ctx.now });
    return { id, remembered: true };
  },
  async bus_publish(ctx, raw) {
    const a = parseArgs(ToolArgs.bus_publish, raw);
    if (!TOPIC.test(a.topic)) throw new Refusal("invalid_arguments", "topic: topic names are [a-z0-9][a-z0-9._-]{0,127}");
    if (!topicGranted(ctx.grants, a.topic)) {
      const granted = ctx.grants.filter((g) => g.kind === "bus").map((g) => `bus:${(g as { topics: string }).topics}`);
      throw new Refusal("not_granted", `the topic ${a.topic} is outside this agent's grant (${granted.join(", ")})`);
    }
    // The same call publishes once, even if it runs again after a crash (the bus keeps keys 24 h).
    const r = await ctx.io.publish(ctx.agentId, a.topic, { body: a.body, key: a.key ?? `agent:${ctx.runId}:${ctx.callId}`, headers: { "seed-task-id": ctx.taskId } });
    if (!r.ok) throw new Refusal(r.error.code, r.error.message);
    return { published: r.value[0] };
  },
  async work_progress(_ctx, raw, effect) {
    const a = parseArgs(ToolArgs.work_progress, raw);
    effect.note = a.note ?? "";
    return { recorded: true };
  },
  async work_fail(_ctx, raw, effect) {
    const a = parseArgs(ToolArgs.work_fail, raw);
    effect.fail = { reason: a.reason, retryable: a.retryable };
    return { failing: true };
  },
  async http_request(ctx, raw) {
    const a = parseArgs(ToolArgs.http_request, raw);
    if (!serviceGranted(ctx.grants, a.service)) throw new Refusal("not_granted", `the service ${a.service} is not granted to this agent`);
    const service = ctx.io.services()[a.service];
    const fetcher = ctx.io.fetcher(a.service);
    if (!service || !fetcher) throw new Refusal("no_such_service", `the service ${a.service} is not declared (seed services set ${a.service} --url …, then restart)`);
    const { token, secret } = await serviceToken(ctx, a.service, service);
    const headers = new Headers();
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (/^(authorization|cookie|host|proxy-.*|x-forwarded-.*|forwarded)$/i.test(k)) continue; // the seed decides these
      headers.set(k, v);
    }
    if (token) headers.set("Authorization", `Bearer ${token}`);
    let body: string | undefined;
    if (a.body !== undefined && a.method !== "GET" && a.method !== "HEAD") {
      body = typeof a.body === "string" ? a.body : JSON.stringify(a.body);
      if (typeof a.body !== "string" && !headers.has("content-type")) headers.set("Content-Type", "application/json");
      headers.set("Idempotency-Key", `${ctx.runId}:${ctx.callId}`);
    }
    let res: Response;
    try {
      res = await fetcher.fetch(serviceUrl(service, a.path), { method: a.method, headers, body, redirect: "manual", signal: AbortSignal.timeout(Math.min(TOOL_TIMEOUT_MS, Math.max(1, ctx.remainingMs))) });
    } catch (err) {
      throw new Refusal("unreachable", `the service ${a.service} did not answer (${err instanceof Error ? err.name : "error"})`);
    }
    const text = a.method === "HEAD" ? "" : await readCapped(res, MAX_RESULT_CHARS * 4);
    return redact(JSON.stringify({ status: res.status, contentType: res.headers.get("content-type"), body: text }), secret);
  },
};

/** The service's credential (its name in the declaration), only if it is bound to the service's host. */
async function serviceToken(ctx: ToolContext, name: string, service: DeclaredService): Promise<{ token: string | null; secret: string | null }> {
  if (!service.credential) return { token: null, secret: null };
  const cred = await ctx.io.credential(service.credential);
  if (!cred) throw new Refusal("no_credential", `the credential of ${name} is missing; the owner must set it (seed credentials set ${service.credential} …)`);
  if (!credentialFits(service, cred.host)) throw new Refusal("credential_host_mismatch", `the credential of ${name} is bound to another host; it is never sent elsewhere`);
  return { token: cred.secret, secret: cred.secret };
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  return new TextDecoder().decode(all.slice(0, maxBytes));
}

async function callMcp(ctx: ToolContext, ref: McpToolRef, raw: string): Promise<unknown> {
  let args: unknown;
  try {
    args = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch {
    throw new Refusal("invalid_arguments", "the arguments are not valid JSON");
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw new Refusal("invalid_arguments", "the arguments must be a JSON object");
  const target = await mcpTarget(ctx, ref.server);
  try {
    const r = await callMcpTool(target.target, ref.tool, args as Record<string, unknown>);
    return redact(JSON.stringify(r.isError ? { error: "tool_error", content: r.content } : r.content), target.secret);
  } catch (err) {
    throw new Refusal("mcp_failed", `the MCP server ${ref.server} failed: ${redact(err instanceof Error ? err.message : String(err), target.secret).slice(0, 500)}`);
  }
}

export async function mcpTarget(ctx: Pick<ToolContext, "io" | "remainingMs">, server: string): Promise<{ target: McpTarget; secret: string | null }> {
  const service = ctx.io.services()[server];
  const fetcher = ctx.io.fetcher(server);
  if (!service || !fetcher) throw new Refusal("no_such_service", `the MCP server ${server} is not declared (seed services set ${server} --url …/mcp, then restart)`);
  const { token, secret } = await serviceToken(ctx as ToolContext, server, service);
  return { target: { url: service.url, fetcher, token, timeoutMs: Math.min(TOOL_TIMEOUT_MS, Math.max(1, ctx.remainingMs)) }, secret };
}

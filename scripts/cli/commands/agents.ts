// `seed agents` and `seed approvals`: the owner registers outside agents (a token, shown once),
// defines the seed's own agents (they run inside the seed on the owner's model), lists them with
// their usage, and decides the tool calls that wait for approval. Over the running seed's API.
import type { Command } from "commander";
import type { z } from "zod";
import type { AgentBody } from "../../../lib/agents/responses.ts";
import type { AgentPatch } from "../../../lib/agents/wire.ts";
import { apiOptions, log, target, type ApiFlags } from "../cli-common.ts";

type AgentView = z.output<typeof AgentBody>;
/** What the flags define: any field of AgentPatch (the route's own schema), `name` aside. */
type Definition = z.input<typeof AgentPatch>;

/** Where a refusal of the definition came from: the flag that carried the field. */
const DEFINITION_BLAME = {
  "body.capabilities": "--capability",
  "body.model": "--model",
  "body.instructions": "--instructions-file",
  "body.tools": "--tools",
  "body.approve": "--approve",
  "body.budgetTokensPerDay": "--budget-tokens-per-day",
  "body.maxSteps": "--max-steps",
  "body.maxTaskTime": "--max-task-time",
  "body.credential": "--credential",
  "body.price": "--price-in/--price-out",
  "body.price.input": "--price-in",
  "body.price.output": "--price-out",
  "body.temperature": "--temperature",
};

type DefineFlags = ApiFlags & {
  capability?: string[];
  model?: string;
  instructionsFile?: string;
  tools?: string;
  budgetTokensPerDay?: string;
  maxSteps?: string;
  maxTaskTime?: string;
  approve?: string;
  credential?: string;
  priceIn?: string;
  priceOut?: string;
  temperature?: string;
  clearBudget?: boolean;
};

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter(Boolean));

function int(name: string, v: string): number;
function int(name: string, v: string | undefined): number | undefined;
function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function num(name: string, v: string): number;
function num(name: string, v: string | undefined): number | undefined;
function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, got ${JSON.stringify(v)}`);
  return n;
}

async function definition(o: DefineFlags): Promise<Definition> {
  const body: Definition = {};
  const caps = o.capability?.flatMap((c) => list(c) ?? []);
  if (caps && caps.length) body.capabilities = caps;
  if (o.model !== undefined) body.model = o.model;
  if (o.instructionsFile !== undefined) {
    const { readFileSync } = await import("node:fs");
    try {
      body.instructions = readFileSync(o.instructionsFile, "utf8");
    } catch (err) {
      throw new Error(`cannot read the instructions file ${o.instructionsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (o.tools !== undefined) body.tools = list(o.tools);
  if (o.approve !== undefined) body.approve = list(o.approve);
  if (o.clearBudget) body.budgetTokensPerDay = null;
  else if (o.budgetTokensPerDay !== undefined) body.budgetTokensPerDay = int("--budget-tokens-per-day", o.budgetTokensPerDay);
  if (o.maxSteps !== undefined) body.maxSteps = int("--max-steps", o.maxSteps);
  if (o.maxTaskTime !== undefined) body.maxTaskTime = o.maxTaskTime;
  if (o.credential !== undefined) body.credential = o.credential === "" ? null : o.credential;
  if (o.priceIn !== undefined || o.priceOut !== undefined) {
    if (o.priceIn === undefined || o.priceOut === undefined) throw new Error("give both --price-in and --price-out (currency per million tokens)");
    body.price = { input: num("--price-in", o.priceIn), output: num("--price-out", o.priceOut) };
  }
  if (o.temperature !== undefined) body.temperature = num("--temperature", o.temperature);
  return body;
}

function defineOptions(cmd: Command): Command {
  return cmd
    .option("--capability <cap...>", "what the agent can do (repeatable, or comma-separated)")
    .option("--model <model>", "the seed's own agent: the model on the owner's LLM service (without it: an outside agent with a token)")
    .option("--instructions-file <file>", "its instructions (the system prompt), a text file up to 64 KiB")
    .option("--tools <grants>", "comma-separated grants: memory, work, bus:<topic-glob>, service:<NAME>, mcp:<NAME> (default: work)")
    .option("--budget-tokens-per-day <n>", "tokens in + out per UTC day; a task that needs more fails with budget_exhausted")
    .option("--max-steps <n>", "model turns per task (default 20); more fails the task with max_steps")
    .option("--max-task-time <duration>", "time per task, e.g. 90s, 10m, 2h (default 10m); more fails it with timeout")
    .option("--approve <tools>", "comma-separated tool names that wait for the owner's approval (e.g. http_request,bus_publish)")
    .option("--credential <name>", "the credential sent to the LLM service (default: the one `seed services set LLM --credential` names)")
    .option("--price-in <n>", "price per million input tokens (to show cost)")
    .option("--price-out <n>", "price per million output tokens (to show cost)")
    .option("--temperature <t>", "sampling temperature 0..2 (default: the model's)");
}

const fmt = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : String(n));
const money = (c: number | null) => (c === null ? "-" : c.toFixed(4));

function describeAgent(a: AgentView): string[] {
  const lines = [`${a.name} (${a.id}) — ${a.kind === "own" ? "runs inside the seed" : "outside agent (token)"}`, `  capabilities: ${a.capabilities.join(", ") || "(none)"}`];
  if (a.spec) {
    const s = a.spec;
    lines.push(`  model: ${s.model}${s.credential ? ` (credential ${s.credential})` : ""}`);
    lines.push(`  tools: ${s.tools.join(", ") || "(none)"}${s.approve.length ? `; waits for approval: ${s.approve.join(", ")}` : ""}`);
    lines.push(`  budgets: ${s.budgetTokensPerDay === null ? "no token budget" : `${s.budgetTokensPerDay} tokens/day`}, ${s.maxSteps} steps and ${Math.round(s.maxTaskTimeMs / 1000)} s per task`);
  }
  if (a.usage) {
    const { today: t, total: u } = a.usage;
    lines.push(`  today: ${fmt(t.tokensIn)} in / ${fmt(t.tokensOut)} out tokens, ${t.steps} steps, ${t.toolCalls} tool calls, ${t.tasksDone} done, ${t.tasksFailed} failed, cost ${money(t.cost)}`);
    lines.push(`  total: ${fmt(u.tokensIn)} in / ${fmt(u.tokensOut)} out tokens, ${u.steps} steps, ${u.toolCalls} tool calls, ${u.tasksDone} done, ${u.tasksFailed} failed, cost ${money(u.cost)}`);
  }
  if (a.pendingApprovals) lines.push(`  ${a.pendingApprovals} approval(s) waiting: seed approvals list --agent ${a.id}`);
  return lines;
}

/** An agent named by id or by name. */
async function resolveAgent(o: ApiFlags, idOrName: string): Promise<AgentView> {
  const { ok, seedClient, ApiError } = await import("../api.ts");
  const r = await ok(seedClient(target(o)).v1.owner.agents.$get());
  const found = r.agents.find((a) => a.id === idOrName) ?? r.agents.find((a) => a.name === idOrName);
  // The same status and code the API gives for an unknown agent, with a hint for people.
  if (!found) throw new ApiError(404, `404 agent_not_found: no agent ${JSON.stringify(idOrName)} (see seed agents list)`);
  return found;
}

export function registerAgents(program: Command): void {
  const agentsCmd = program.command("agents").description("outside agents (tokens) and the seed's own agents (inside, on your model): add, list, show, update, remove");
  defineOptions(apiOptions(agentsCmd.command("add").description("register an outside agent (prints its token once) or, with --model and --instructions-file, define one of the seed's own").argument("<name>", "the agent's name")))
    .option("--json", "print the result as JSON")
    .action(async (name: string, opts: DefineFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const json = { name, capabilities: [], ...(await definition(opts)) };
      const r = await ok(seedClient(target(opts)).v1.owner.agents.$post({ json }), { "body.name": "NAME", ...DEFINITION_BLAME });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      if (r.kind === "own") {
        for (const l of describeAgent(r)) log(l);
        log("it sleeps until the mind hands it work; it holds no token (the seed acts as it from inside)");
      } else {
        log(`agent ${r.name} registered: id ${r.id}, capabilities ${r.capabilities.join(", ") || "(none)"}`);
        log(`token (shown once; give it to the agent):\n${r.token}`);
      }
    });
  apiOptions(agentsCmd.command("list").description("the agents, with the usage of the seed's own (today, UTC)"))
    .option("--json", "print the list as JSON")
    .action(async (opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const r = await ok(seedClient(target(opts)).v1.owner.agents.$get());
      if (opts.json) return log(JSON.stringify(r.agents, null, 2));
      if (r.agents.length === 0) return log("no agents");
      log(`${"ID".padEnd(16)}  ${"NAME".padEnd(20)} ${"KIND".padEnd(7)} ${"MODEL".padEnd(18)} ${"TOKENS IN/OUT".padEnd(14)} ${"STEPS".padEnd(6)} ${"DONE".padEnd(5)} ${"FAILED".padEnd(6)} ${"COST".padEnd(8)} CAPABILITIES`);
      for (const a of r.agents) {
        const t = a.usage?.today;
        log(
          `${a.id}  ${a.name.slice(0, 20).padEnd(20)} ${a.kind.padEnd(7)} ${(a.spec?.model ?? "-").slice(0, 18).padEnd(18)} ${(t ? `${fmt(t.tokensIn)}/${fmt(t.tokensOut)}` : "-").padEnd(14)} ${String(t?.steps ?? "-").padEnd(6)} ${String(t?.tasksDone ?? "-").padEnd(5)} ${String(t?.tasksFailed ?? "-").padEnd(6)} ${(t ? money(t.cost) : "-").padEnd(8)} ${a.capabilities.join(",")}${a.pendingApprovals ? `  (${a.pendingApprovals} waiting for approval)` : ""}`,
        );
      }
    });
  apiOptions(agentsCmd.command("show").description("one agent: definition, usage, what it is working on, its recent tasks").argument("<agent>", "id or name"))
    .option("--json", "print as JSON")
    .action(async (idOrName: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const a = await resolveAgent(opts, idOrName);
      const r = await ok(seedClient(target(opts)).v1.owner.agents[":id"].$get({ param: { id: a.id } }), { "path.id": "AGENT" });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      for (const l of describeAgent(r)) log(l);
      if (r.state) log(`  state: ${r.state}`);
      for (const run of r.recent ?? []) log(`  ${new Date(run.receivedAt).toISOString()}  ${run.state.padEnd(8)} ${run.taskId}  ${run.title.slice(0, 40)}  ${run.steps} steps${run.reason ? `  (${run.reason.slice(0, 80)})` : ""}`);
    });
  defineOptions(apiOptions(agentsCmd.command("update").description("change an agent: its capabilities, or any part of a seed's own agent's definition (audited)").argument("<agent>", "id or name")))
    .option("--clear-budget", "remove the token budget")
    .option("--json", "print the result as JSON")
    .action(async (idOrName: string, opts: DefineFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const a = await resolveAgent(opts, idOrName);
      const json = await definition(opts);
      if (Object.keys(json).length === 0) throw new Error("nothing to change (see seed agents update --help)");
      const r = await ok(seedClient(target(opts)).v1.owner.agents[":id"].$patch({ param: { id: a.id }, json }), { "path.id": "AGENT", ...DEFINITION_BLAME });
      if (opts.json) return log(JSON.stringify(r, null, 2));
      for (const l of describeAgent(r)) log(l);
    });
  apiOptions(agentsCmd.command("remove").description("remove an agent: its token is revoked at once; a seed's own agent hands its tasks back to the mind").argument("<agent>", "id or name"))
    .action(async (idOrName: string, opts: ApiFlags) => {
      const { ok, seedClient } = await import("../api.ts");
      const a = await resolveAgent(opts, idOrName);
      const r = await ok(seedClient(target(opts)).v1.owner.agents[":id"].$delete({ param: { id: a.id } }), { "path.id": "AGENT" });
      log(`agent ${a.name} (${a.id}) removed; its key is revoked${r.released ? `; ${r.released} task(s) went back to the mind` : ""}`);
    });

  const approvals = program.command("approvals").description("tool calls of the seed's own agents that wait for you: list, approve, deny");
  apiOptions(approvals.command("list").description("approvals waiting (or all with --all)"))
    .option("--all", "every approval, decided ones too")
    .option("--agent <agent>", "only this agent's (id)")
    .option("--json", "print as JSON")
    .action(async (opts: ApiFlags & { all?: boolean; agent?: string }) => {
      const { ok, seedClient } = await import("../api.ts");
      const query = { state: opts.all ? "all" : "pending", ...(opts.agent ? { agent: opts.agent } : {}) } as const;
      const r = await ok(seedClient(target(opts)).v1.owner.approvals.$get({ query }), { "query.agent": "--agent" });
      if (opts.json) return log(JSON.stringify(r.approvals, null, 2));
      if (r.approvals.length === 0) return log(opts.all ? "no approvals" : "nothing waits for your approval");
      for (const a of r.approvals) {
        log(`${a.id}  ${a.state.padEnd(9)} ${a.agentName}: ${a.tool} for task ${a.taskId}, asked ${new Date(a.requestedAt).toISOString()}`);
        log(`    arguments: ${a.arguments.length > 300 ? `${a.arguments.slice(0, 300)}…` : a.arguments}`);
        if (a.decidedAt) log(`    ${a.state} by ${a.decidedBy} at ${new Date(a.decidedAt).toISOString()}${a.reason ? `: ${a.reason}` : ""}`);
      }
    });
  for (const verb of ["approve", "deny"] as const) {
    apiOptions(approvals.command(verb).description(verb === "approve" ? "run the tool call; the agent's task resumes with its result" : "refuse the tool call; the agent's model is told why").argument("<id>", "the approval's id (apr_…)"))
      .option("--reason <text>", "why (the model reads it on a denial)")
      .action(async (id: string, opts: ApiFlags & { reason?: string }) => {
        const { ok, seedClient } = await import("../api.ts");
        const json = opts.reason ? { reason: opts.reason } : {};
        const a = await ok(seedClient(target(opts)).v1.owner.approvals[":id"][verb].$post({ param: { id }, json }), { "path.id": "ID", "body.reason": "--reason" });
        log(`${a.id} ${a.state}: ${a.agentName}'s ${a.tool} for task ${a.taskId} ${verb === "approve" ? "runs now" : "is refused"}`);
      });
  }
}

// The owner's side of agents: register outside agents (a token, shown once) and define the seed's
// own agents (a model, instructions, tools, budgets — they run inside the seed, in an Agent object
// each). Adding, changing and removing an agent is written to the audit ledger.
import type { Context } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { agentUsageList } from "../../lib/agents/usage.ts";
import { specFrom, type AgentInput, type AgentPatch, type AgentSpec, type AgentUsage } from "../../lib/agents/wire.ts";
import { agents, keys } from "../../lib/db/schema.ts";
import { agentApprovals, agentSpecs } from "../../lib/db/schema-agents.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import { mintKey, sha256Hex } from "../../lib/keys.ts";
import type { AppEnv } from "../app-env.ts";
import { auditChange } from "../audit/audit-change.ts";
import { forgetKeys, keyCache } from "../auth/key-cache.ts";
import { revokeKeys } from "../auth/revoke-keys.ts";
import { busStub } from "../../durable/bus/bus-stub.ts";

export type AgentView = {
  id: string;
  name: string;
  kind: "own" | "outside";
  capabilities: string[];
  createdAt: number;
  spec: AgentSpec | null;
  usage: Pick<AgentUsage, "today" | "total"> | null;
  pendingApprovals: number;
};

export const agentObject = (env: Env, id: string) => env.AGENT.get(env.AGENT.idFromName(id));
const bus = busStub;

/** What the audit ledger records about a definition: everything but the instructions' text (its hash). */
async function specDetail(spec: AgentSpec): Promise<Record<string, unknown>> {
  const { instructions, ...rest } = spec;
  return { ...rest, instructions: { sha256: await sha256Hex(instructions), bytes: new TextEncoder().encode(instructions).byteLength } };
}

export async function addAgent(c: Context<AppEnv>, input: AgentInput): Promise<AgentView & { token?: string }> {
  const db = c.var.db;
  const taken = await db.select({ id: agents.id }).from(agents).where(and(eq(agents.name, input.name), isNull(agents.removedAt))).get();
  if (taken) throw new ConflictError(`an agent named ${JSON.stringify(input.name)} exists (${taken.id})`, "agent_exists");
  const key = await mintKey("agent");
  const now = Date.now();
  const capabilities = [...new Set(input.capabilities)];
  const spec = input.model !== undefined ? specFrom({ ...input, model: input.model, instructions: input.instructions! }) : null;
  // The bus wakes the agent's object when its inbox gets work: set before the agent exists, so no
  // dispatch can come first.
  if (spec) await bus(c.env).watchInbox(key.id, true);
  const since = keyCache.epoch();
  const [[row]] = await db.batch([
    db.insert(keys).values({ id: key.id, kind: "agent", name: input.name, scopes: capabilities, secretHash: key.secretHash, createdAt: now }).returning(),
    db.insert(agents).values({ id: key.id, name: input.name, capabilities, createdAt: now }),
    ...(spec ? [db.insert(agentSpecs).values({ agentId: key.id, spec, version: 1, updatedAt: now })] : []),
  ]);
  keyCache.remember(row!, since); // its first requests need no lookup
  try {
    await auditChange(c, "agent.add", key.id, { id: key.id, name: input.name, kind: spec ? "own" : "outside", capabilities, ...(spec ? { spec: await specDetail(spec) } : {}) }, 201);
  } catch (err) {
    // An unaudited agent must not stay: it is removed before the error is answered.
    await db.batch([db.update(keys).set({ revokedAt: Date.now() }).where(eq(keys.id, key.id)), db.update(agents).set({ removedAt: Date.now() }).where(eq(agents.id, key.id))]).finally(() => forgetKeys([key.id]));
    throw err;
  }
  // The agent's object is not woken here: it reads its definition from libSQL when its first task
  // arrives. Defining 100 agents leaves nothing running in workerd.
  const view: AgentView = { id: key.id, name: input.name, kind: spec ? "own" : "outside", capabilities, createdAt: now, spec, usage: null, pendingApprovals: 0 };
  // An own agent's key is never shown: the seed acts as it from inside.
  return spec ? view : { ...view, token: key.token };
}

export async function listAgents(c: Context<AppEnv>, id?: string): Promise<AgentView[]> {
  const db = c.var.db;
  const where = id ? and(isNull(agents.removedAt), eq(agents.id, id)) : isNull(agents.removedAt);
  const [rows, usage, pending] = await Promise.all([
    db.select({ a: agents, spec: agentSpecs.spec }).from(agents).leftJoin(agentSpecs, eq(agentSpecs.agentId, agents.id)).where(where).orderBy(agents.createdAt).all(),
    agentUsageList(db as never, Date.now(), id),
    db.select({ agentId: agentApprovals.agentId }).from(agentApprovals).where(eq(agentApprovals.state, "pending")).all(),
  ]);
  const byId = new Map(usage.map((u) => [u.agentId, u]));
  return rows.map(({ a, spec }) => ({
    id: a.id,
    name: a.name,
    kind: spec ? "own" : "outside",
    capabilities: a.capabilities,
    createdAt: a.createdAt,
    spec: spec ?? null,
    usage: spec ? { today: byId.get(a.id)!.today, total: byId.get(a.id)!.total } : null,
    pendingApprovals: pending.filter((p) => p.agentId === a.id).length,
  }));
}

export async function getAgent(c: Context<AppEnv>, id: string) {
  const [view] = await listAgents(c, id);
  if (!view) throw new NotFoundError(`no agent ${id}`, "agent_not_found");
  if (view.kind === "outside") return view;
  const o = agentObject(c.env, id);
  const [status, runs] = await Promise.all([o.status(), o.runs(20)]);
  return { ...view, state: status.state, active: status.runs, recent: runs };
}

export async function updateAgent(c: Context<AppEnv>, id: string, patch: AgentPatch): Promise<AgentView> {
  const db = c.var.db;
  const row = await db.select({ a: agents, s: agentSpecs }).from(agents).leftJoin(agentSpecs, eq(agentSpecs.agentId, agents.id)).where(and(eq(agents.id, id), isNull(agents.removedAt))).get();
  if (!row) throw new NotFoundError(`no agent ${id}`, "agent_not_found");
  const { capabilities, ...own } = patch;
  if (Object.keys(own).length > 0 && !row.s) throw new ConflictError(`${row.a.name} is an outside agent (it holds a token): only its capabilities can change`, "not_own_agent");
  const now = Date.now();
  const caps = capabilities ? [...new Set(capabilities)] : row.a.capabilities;
  const spec = row.s ? specFrom({ ...own, model: own.model ?? row.s.spec.model, instructions: own.instructions ?? row.s.spec.instructions }, row.s.spec) : null;
  const version = (row.s?.version ?? 0) + 1;
  await db
    .batch([
      db.update(agents).set({ capabilities: caps }).where(eq(agents.id, id)),
      db.update(keys).set({ scopes: caps }).where(eq(keys.id, id)),
      ...(spec ? [db.update(agentSpecs).set({ spec, version, updatedAt: now }).where(eq(agentSpecs.agentId, id))] : []),
    ])
    .finally(() => forgetKeys([id])); // the key's scopes changed
  await auditChange(c, "agent.update", id, { id, name: row.a.name, changed: Object.keys(patch).sort(), capabilities: caps, ...(spec ? { spec: await specDetail(spec) } : {}) });
  if (spec) await agentObject(c.env, id).configure(id, { name: row.a.name, spec, version }).catch(() => {});
  const [view] = await listAgents(c, id);
  return view!;
}

export async function removeAgent(c: Context<AppEnv>, id: string): Promise<{ id: string; removed: true; released: number }> {
  const db = c.var.db;
  const row = await db.select({ a: agents, s: agentSpecs.agentId }).from(agents).leftJoin(agentSpecs, eq(agentSpecs.agentId, agents.id)).where(and(eq(agents.id, id), isNull(agents.removedAt))).get();
  if (!row) throw new NotFoundError(`no agent ${id}`, "agent_not_found");
  // Revoke first, with the removal in the same transaction: the next request with the token is
  // 401, and the key's live sessions (bus sockets, MCP) are closed before this goes on.
  await revokeKeys(c, [id], { action: "key.revoke", alongside: [db.update(agents).set({ removedAt: Date.now() }).where(eq(agents.id, id))] });
  let released = 0;
  if (row.s) {
    await bus(c.env).watchInbox(id, false);
    released = (await agentObject(c.env, id).stop(id, "the owner removed the agent")).released;
  }
  await auditChange(c, "agent.remove", id, { id, name: row.a.name, kind: row.s ? "own" : "outside", released });
  return { id, removed: true, released };
}

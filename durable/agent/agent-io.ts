// Everything an Agent object reaches outside its own SQLite: its inbox on the bus, the mind's work
// ledger, libSQL (its definition, approvals, usage, memory, credentials), the owner's LLM and the
// services the owner declared. One object, so a test can replace a piece of the world.
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { BusCaller, BusResult, Delivered, Published, PublishInput } from "../../lib/bus/wire.ts";
import { getCredential, masterKeyFromHex } from "../../lib/credentials.ts";
import { agents, keys } from "../../lib/db/schema.ts";
import { agentApprovals, agentSpecs, agentUsage } from "../../lib/db/schema-agents.ts";
import { declaredServices, type DeclaredService } from "../../lib/agents/declared-services.ts";
import type { AgentSpec, ApprovalState, UsageCounters } from "../../lib/agents/wire.ts";
import type { AnyDb, MemoryEnv } from "../../lib/memory/memory-types.ts";
import type { MindResult, Task } from "../../lib/mind/wire.ts";
import { openDb } from "../../lib/db/client.ts";
import { busStub } from "../bus/bus-stub.ts";

export type AgentRecord = { name: string; capabilities: string[]; spec: AgentSpec; version: number };
export type MindAction = "claim" | "progress" | "complete" | "fail" | "wait";
export type NewApproval = { id: string; agentId: string; taskId: string; tool: string; arguments: string; requestedAt: number };

export type AgentIo = {
  pullInbox(agentId: string, max: number): Promise<BusResult<Delivered[]>>;
  ackInbox(agentId: string, ackIds: string[]): Promise<void>;
  publish(agentId: string, topic: string, message: PublishInput): Promise<BusResult<Published[]>>;
  transition(agentId: string, taskId: string, action: MindAction, input: { note?: string; result?: unknown; reason?: string; retryable?: boolean }): Promise<MindResult<Task>>;
  getTask(taskId: string): Promise<MindResult<Task>>;
  /** The agent's definition, or null when it was removed, its key revoked, or it is not one of the seed's own. */
  loadAgent(agentId: string): Promise<AgentRecord | null>;
  putApproval(a: NewApproval): Promise<void>;
  settleApprovals(ids: string[], state: Exclude<ApprovalState, "pending">, by: string, reason: string | null, at: number): Promise<void>;
  putUsage(agentId: string, day: string, u: UsageCounters, at: number): Promise<void>;
  db(): AnyDb;
  memoryEnv(): MemoryEnv;
  services(): Record<string, DeclaredService>;
  fetcher(binding: string): Fetcher | undefined;
  credential(name: string): Promise<{ host: string; secret: string } | null>;
};

const agentCaller = (agentId: string): BusCaller => ({ keyId: agentId, kind: "agent", scopes: [] });

export function liveAgentIo(env: Env): AgentIo {
  const bus = () => busStub(env);
  const mind = () => env.MIND.get(env.MIND.idFromName("mind"));
  let db: AnyDb | null = null;
  const dbOf = () => (db ??= openDb(env) as unknown as AnyDb);
  let services: Record<string, DeclaredService> | null = null;
  return {
    pullInbox: (agentId, max) => bus().pull(agentCaller(agentId), "inbox", max, 0),
    async ackInbox(agentId, ackIds) {
      if (ackIds.length > 0) await bus().ack(agentCaller(agentId), "inbox", ackIds);
    },
    publish: (agentId, topic, message) => bus().publish(agentCaller(agentId), topic, [message]),
    transition: (agentId, taskId, action, input) => mind().transition(agentId, taskId, action, input),
    getTask: (taskId) => mind().getTask(taskId),
    async loadAgent(agentId) {
      const row = await dbOf()
        .select({ name: agents.name, capabilities: agents.capabilities, spec: agentSpecs.spec, version: agentSpecs.version })
        .from(agents)
        .innerJoin(agentSpecs, eq(agentSpecs.agentId, agents.id))
        .innerJoin(keys, eq(keys.id, agents.id))
        .where(and(eq(agents.id, agentId), isNull(agents.removedAt), isNull(keys.revokedAt)))
        .get();
      return row ?? null;
    },
    async putApproval(a) {
      await dbOf().insert(agentApprovals).values({ ...a, state: "pending" }).onConflictDoNothing();
    },
    async settleApprovals(ids, state, by, reason, at) {
      if (ids.length === 0) return;
      await dbOf()
        .update(agentApprovals)
        .set({ state, decidedAt: at, decidedBy: by, reason })
        .where(and(inArray(agentApprovals.id, ids), eq(agentApprovals.state, "pending")));
    },
    async putUsage(agentId, day, u, at) {
      const values = { tokensIn: u.tokensIn, tokensOut: u.tokensOut, steps: u.steps, toolCalls: u.toolCalls, tasksDone: u.tasksDone, tasksFailed: u.tasksFailed, cost: u.cost, updatedAt: at };
      await dbOf().insert(agentUsage).values({ agentId, day, ...values }).onConflictDoUpdate({ target: [agentUsage.agentId, agentUsage.day], set: values });
    },
    db: dbOf,
    memoryEnv: () => env,
    services: () => (services ??= declaredServices((env as { SEED_SERVICES?: string }).SEED_SERVICES)),
    fetcher: (binding) => {
      const f = (env as unknown as Record<string, unknown>)[binding];
      return f && typeof (f as Fetcher).fetch === "function" ? (f as Fetcher) : undefined;
    },
    credential: (name) => getCredential(dbOf() as never, masterKeyFromHex(env.SEED_MASTER_KEY), name),
  };
}

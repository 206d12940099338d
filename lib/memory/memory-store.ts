// Reading and forgetting single memories, within the caller's scope.
import { eq } from "drizzle-orm";
import { memories, type MemoryRow } from "../db/schema-memory.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import type { AnyDb, Memory, MemoryScope } from "./memory-types.ts";

const columns = {
  id: memories.id,
  agentId: memories.agentId,
  shared: memories.shared,
  kind: memories.kind,
  text: memories.text,
  tags: memories.tags,
  source: memories.source,
  createdAt: memories.createdAt,
  expiresAt: memories.expiresAt,
};

export function toMemory(row: Omit<MemoryRow, "seq" | "embedding">): Memory {
  return {
    id: row.id,
    agentId: row.agentId,
    shared: row.shared,
    kind: row.kind,
    text: row.text,
    tags: row.tags,
    source: row.source,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
}

const visible = (m: Memory, scope: MemoryScope, now: number) =>
  (m.expiresAt === null || m.expiresAt > now) && (scope.kind === "all" || m.agentId === scope.agentId || m.shared);

/** 404 for a memory that does not exist, has expired or is out of the caller's scope (no hint which). */
export async function getMemory(db: AnyDb, id: string, scope: MemoryScope, now = Date.now()): Promise<Memory> {
  const row = await db.select(columns).from(memories).where(eq(memories.id, id)).get();
  const m = row ? toMemory(row) : null;
  if (!m || !visible(m, scope, now)) throw new NotFoundError(`no memory ${id}`, "memory_not_found");
  return m;
}

/**
 * Deletes a memory; the triggers take it out of FTS5 and the tag index, libSQL out of the vector
 * index, in the same statement. An agent may forget only its own memories.
 */
export async function forgetMemory(db: AnyDb, id: string, scope: MemoryScope, now = Date.now()): Promise<void> {
  const m = await getMemory(db, id, scope, now);
  if (scope.kind === "agent" && m.agentId !== scope.agentId) {
    throw new ForbiddenError(`memory ${id} is shared by another agent; only its agent or the owner may delete it`, "not_your_memory");
  }
  await db.delete(memories).where(eq(memories.id, id));
}

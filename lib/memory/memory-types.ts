// Types shared by the memory modules, the Worker routes and the Mind.
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { MemoryKind } from "../db/schema-memory.ts";

/** Any drizzle database over libSQL: the Worker's (HTTP via the LIBSQL binding) or a file's. */
export type AnyDb = LibSQLDatabase<Record<string, unknown>>;

export type FetcherLike = { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };

/** What the embedders need from the Worker's environment; absent fields mean "not configured". */
export type MemoryEnv = {
  /** The owner's embeddings endpoint (`seed services set EMBEDDINGS`): the only way out. */
  EMBEDDINGS?: FetcherLike;
  /** master.key as hex: decrypts the endpoint's credential. */
  SEED_MASTER_KEY?: string;
};

/** Who is asking: decides which memories are in reach. */
export type MemoryScope = { kind: "all" } | { kind: "agent"; agentId: string };

export type Memory = {
  id: string;
  agentId: string | null;
  shared: boolean;
  kind: MemoryKind;
  text: string;
  tags: string[];
  source: string;
  createdAt: number;
  expiresAt: number | null;
};

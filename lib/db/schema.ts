// The organism-wide records that live in libSQL (ARCHITECTURE.md §2). drizzle-kit turns this file
// into the SQL under migrations/; never edit a generated migration, add a new one.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Exactly one row: who this seed is. The private key stays in a file under SEED_HOME. */
export const identity = sqliteTable("identity", {
  seedId: text("seed_id").primaryKey(),
  publicKey: text("public_key").notNull(), // base64 of the raw 32-byte Ed25519 key
  createdAt: integer("created_at").notNull(), // ms since epoch
});

/** Every key of every kind: only the sha256 of the secret is stored. */
export const keys = sqliteTable(
  "keys",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["root", "agent", "helper"] }).notNull(),
    name: text("name").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default([]),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("keys_kind_idx").on(t.kind)],
);

export type KeyRow = typeof keys.$inferSelect;

/** Registered agents. An agent's id is the id of its key (kind `agent`) in `keys`. */
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    capabilities: text("capabilities", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: integer("created_at").notNull(),
    removedAt: integer("removed_at"),
  },
  (t) => [uniqueIndex("agents_live_name_idx").on(t.name).where(sql`${t.removedAt} is null`)],
);

export type AgentRow = typeof agents.$inferSelect;

/**
 * Secrets the seed may send to one host each (an LLM or embeddings endpoint), encrypted with
 * AES-256-GCM under master.key (lib/credentials.ts). No API ever returns the value.
 */
export const credentials = sqliteTable("credentials", {
  name: text("name").primaryKey(),
  host: text("host").notNull(),
  ciphertext: text("ciphertext").notNull(), // base64(iv ‖ ciphertext ‖ tag), AAD = name + host
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

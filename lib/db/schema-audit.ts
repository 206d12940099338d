// The audit ledger (issue 5): append-only, hash-chained rows in libSQL, and the checkpoints the
// seed signs over them. Only the AuditLedger Durable Object inserts; triggers in the custom
// migration (migrations/*_audit_append_only.sql) refuse every UPDATE and DELETE.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const auditLog = sqliteTable(
  "audit_log",
  {
    /** 1, 2, 3, … with no gaps: a missing number is a removed row. */
    seq: integer("seq").primaryKey(),
    at: integer("at").notNull(), // ms since epoch
    /** Who acted: root, agent, helper, anonymous, or seed (the organism itself). */
    actor: text("actor").notNull(),
    keyId: text("key_id"),
    /** `request` for a helper's HTTP request; `membrane.grant`, `key.revoke`, `handoff.*`, … */
    action: text("action").notNull(),
    method: text("method"),
    route: text("route"),
    scope: text("scope"),
    status: integer("status"),
    /** Canonical JSON text (sorted keys) or null; hashed verbatim. */
    detail: text("detail"),
    /** The hash of row seq-1 (64 zeros for row 1). */
    prevHash: text("prev_hash").notNull(),
    /** sha256 of this row's canonical form, prevHash included (lib/audit/audit-chain.ts). */
    hash: text("hash").notNull(),
  },
  (t) => [index("audit_log_key_idx").on(t.keyId, t.seq)],
);

/** The seed's signed statements "the ledger had `seq` rows and its head hash was `headHash`". */
export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  seq: integer("seq").primaryKey(),
  headHash: text("head_hash").notNull(),
  at: integer("at").notNull(),
  reason: text("reason").notNull(), // periodic | rows | handoff
  signature: text("signature").notNull(), // base64 Ed25519 over checkpointMessage()
});

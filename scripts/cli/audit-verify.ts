// `seed audit verify`: recomputes the audit ledger's hash chain and checks every checkpoint's
// signature, straight from the database file with the public key from identity/seed.pub (so a
// compromised Worker or a swapped identity row cannot vouch for itself). Names the first row
// that was altered or removed.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import Database from "libsql";
import type { AuditRecord } from "../../lib/audit/audit-chain.ts";
import { allRecords, readCheckpoints } from "../../lib/audit/audit-store.ts";
import { PENDING_TABLE, SELECT_PENDING } from "../../lib/audit/pending-rows.ts";
import { importVerifyKey } from "../../lib/audit/ed25519.ts";
import { verifyChain, type VerifyReport } from "../../lib/audit/verify-chain.ts";
import { identity } from "../../lib/db/schema.ts";
import type { Home } from "./home.ts";
import { readIdentity } from "./identity.ts";
import { withFileDb } from "./migrate.ts";

export const GUARD_TRIGGERS = ["audit_log_no_update", "audit_log_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"];

/** `pendingRows`: rows the ledger object has committed and not yet copied to libSQL (in the chain's count). */
export type LedgerVerification = VerifyReport & { seedId: string; missingGuards: string[]; identityMismatch: boolean; pendingRows: number };

/**
 * The rows the AuditLedger object has committed in its own database and not yet copied to libSQL
 * (durable/audit/audit-ledger.ts): a moment's worth while the seed runs, more after a crash until
 * the object next wakes. Read before libSQL, so a row copied in between is seen there.
 */
export function pendingLedgerRows(home: Home): AuditRecord[] {
  if (!existsSync(home.doDir)) return [];
  const rows: AuditRecord[] = [];
  for (const ns of readdirSync(home.doDir).filter((d) => d.endsWith(":AuditLedger"))) {
    for (const file of readdirSync(path.join(home.doDir, ns)).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
      const db = new Database(path.join(home.doDir, ns, file), { readonly: true });
      try {
        if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(PENDING_TABLE)) rows.push(...(db.prepare(SELECT_PENDING).all(0, Number.MAX_SAFE_INTEGER) as AuditRecord[]));
      } finally {
        db.close();
      }
    }
  }
  return rows.sort((a, b) => a.seq - b.seq);
}

/** libSQL's rows, then the pending rows after them: every committed row, in chain order. */
async function* everyRecord(fromDb: AsyncIterable<AuditRecord>, pending: AuditRecord[], onPending: () => void): AsyncGenerator<AuditRecord> {
  let last = 0;
  for await (const r of fromDb) {
    last = r.seq;
    yield r;
  }
  for (const r of pending) {
    if (r.seq <= last) continue; // copied between the two reads
    onPending();
    yield r;
  }
}

export async function verifyLedger(home: Home): Promise<LedgerVerification> {
  const id = readIdentity(home);
  if (!id) throw new Error(`no identity in ${home.identityDir}: run \`seed init\``);
  if (!existsSync(home.db)) throw new Error(`no database at ${home.db}`);
  const key = await importVerifyKey(id.publicKey);
  const pending = pendingLedgerRows(home);
  return withFileDb(home.db, async (db) => {
    let pendingRows = 0;
    const report = await verifyChain(everyRecord(allRecords(db), pending, () => pendingRows++), await readCheckpoints(db), key, id.seedId);
    const triggers = await db.all<{ name: string }>(sql`select name from sqlite_master where type = 'trigger'`);
    const missingGuards = GUARD_TRIGGERS.filter((t) => !triggers.some((r) => r.name === t));
    const row = await db.select().from(identity).get();
    const identityMismatch = !row || row.publicKey !== id.publicKey || row.seedId !== id.seedId;
    const ok = report.ok && missingGuards.length === 0 && !identityMismatch;
    return { ...report, ok, seedId: id.seedId, missingGuards, identityMismatch, pendingRows };
  });
}

export function formatVerification(v: LedgerVerification): string {
  const lines: string[] = [];
  if (v.ok) {
    lines.push(`audit ledger of ${v.seedId}: intact — ${v.rows} rows, head ${v.head.hash.slice(0, 16)}…, ${v.checkpoints.verified} signed checkpoints verified`);
  } else {
    lines.push(`audit ledger of ${v.seedId}: NOT intact`);
    if (v.firstBad) lines.push(`first bad row: ${v.firstBad.seq} — ${v.firstBad.message}`);
    for (const p of v.problems.slice(1)) lines.push(`  also: ${p.message}`);
    if (v.missingGuards.length) lines.push(`the append-only triggers are gone: ${v.missingGuards.join(", ")}`);
    if (v.identityMismatch) lines.push("the identity row in the database does not match identity/seed.pub");
  }
  if (v.pendingRows > 0) lines.push(`${v.pendingRows} of them committed by the ledger object and not yet copied to libSQL (copied when the seed next runs)`);
  if (v.unattestedRows > 0) lines.push(`${v.unattestedRows} row(s) after the last signed checkpoint are vouched for by the chain only`);
  return lines.join("\n");
}

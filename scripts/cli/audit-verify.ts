// `seed audit verify`: recomputes the audit ledger's hash chain and checks every checkpoint's
// signature, straight from the database file with the public key from identity/seed.pub (so a
// compromised Worker or a swapped identity row cannot vouch for itself). Names the first row
// that was altered or removed.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import Database from "libsql";
import { chainEntries, EMPTY_HEAD, GENESIS_HASH, hashRecord, type AuditEntry, type AuditRecord, type ChainHead } from "../../lib/audit/audit-chain.ts";
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

/**
 * libSQL's rows, then the pending rows as the ledger will copy them: a pending row libSQL already
 * holds with the same hash was copied between the two reads; if libSQL holds another row at a
 * pending row's seq (the CLI appended while the seed was down, scripts/cli/cli-audit.ts), the
 * ledger will chain every pending row again after libSQL's head (AuditLedger #reconcile) — so
 * those rows are checked as the segment they are (each hash over its content, each linked to the
 * one before, the first to the libSQL row it followed) and counted as they will be chained.
 */
export async function* everyRecord(fromDb: AsyncIterable<AuditRecord>, pending: AuditRecord[], onPending: () => void): AsyncGenerator<AuditRecord> {
  const from = pending.length ? pending[0]!.seq - 1 : Infinity;
  const stored = new Map<number, string>(); // hashes from where the pending rows begin
  let head: ChainHead = EMPTY_HEAD;
  for await (const r of fromDb) {
    if (r.seq >= from) stored.set(r.seq, r.hash);
    head = { seq: r.seq, hash: r.hash };
    yield r;
  }
  const rest = pending.filter((r) => stored.get(r.seq) !== r.hash);
  if (rest.length === 0) return;
  if (rest[0]!.seq > head.seq || !(await forkedFromLedger(rest, stored))) {
    // Extends libSQL's head (or does not hold together: the chain check names the row).
    for (const r of rest) {
      onPending();
      yield r;
    }
    return;
  }
  for (const r of await chainEntries(head, rest.map(({ seq: _s, prevHash: _p, hash: _h, ...e }) => e as AuditEntry))) {
    onPending();
    yield r;
  }
}

/** The pending rows are one intact segment that began right after a row libSQL holds. */
async function forkedFromLedger(rows: AuditRecord[], stored: Map<number, string>): Promise<boolean> {
  const first = rows[0]!;
  let prev: ChainHead = { seq: first.seq - 1, hash: first.seq === 1 ? GENESIS_HASH : (stored.get(first.seq - 1) ?? "") };
  for (const r of rows) {
    const { hash, ...rest } = r;
    if (r.seq !== prev.seq + 1 || r.prevHash !== prev.hash || (await hashRecord(rest)) !== hash) return false;
    prev = { seq: r.seq, hash };
  }
  return true;
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

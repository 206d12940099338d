// `seed audit verify`: recomputes the audit ledger's hash chain and checks every checkpoint's
// signature, straight from the database file with the public key from identity/seed.pub (so a
// compromised Worker or a swapped identity row cannot vouch for itself). Names the first row
// that was altered or removed.
import { existsSync } from "node:fs";
import { sql } from "drizzle-orm";
import { allRecords, readCheckpoints } from "../../lib/audit/audit-store.ts";
import { importVerifyKey } from "../../lib/audit/ed25519.ts";
import { verifyChain, type VerifyReport } from "../../lib/audit/verify-chain.ts";
import { identity } from "../../lib/db/schema.ts";
import type { Home } from "./home.ts";
import { readIdentity } from "./identity.ts";
import { withFileDb } from "./migrate.ts";

export const GUARD_TRIGGERS = ["audit_log_no_update", "audit_log_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"];

export type LedgerVerification = VerifyReport & { seedId: string; missingGuards: string[]; identityMismatch: boolean };

export async function verifyLedger(home: Home): Promise<LedgerVerification> {
  const id = readIdentity(home);
  if (!id) throw new Error(`no identity in ${home.identityDir}: run \`seed init\``);
  if (!existsSync(home.db)) throw new Error(`no database at ${home.db}`);
  const key = await importVerifyKey(id.publicKey);
  return withFileDb(home.db, async (db) => {
    const report = await verifyChain(allRecords(db), await readCheckpoints(db), key, id.seedId);
    const triggers = await db.all<{ name: string }>(sql`select name from sqlite_master where type = 'trigger'`);
    const missingGuards = GUARD_TRIGGERS.filter((t) => !triggers.some((r) => r.name === t));
    const row = await db.select().from(identity).get();
    const identityMismatch = !row || row.publicKey !== id.publicKey || row.seedId !== id.seedId;
    const ok = report.ok && missingGuards.length === 0 && !identityMismatch;
    return { ...report, ok, seedId: id.seedId, missingGuards, identityMismatch };
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
  if (v.unattestedRows > 0) lines.push(`${v.unattestedRows} row(s) after the last signed checkpoint are vouched for by the chain only`);
  return lines.join("\n");
}

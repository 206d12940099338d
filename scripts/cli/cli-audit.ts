// Owner changes made on the box, not through the Worker — `seed services`, `seed credentials`,
// the handoff's rotations — are audit rows too (issue 9 item 13). The CLI appends them to the
// same hash chain in the database file. The ledger's writer (the AuditLedger object) re-reads the
// head when its next insert meets the row taken here (durable/audit/audit-ledger.ts), so both can
// write; a conflict here is retried the same way. No secret goes in `detail`.
import { existsSync } from "node:fs";
import { sql } from "drizzle-orm";
import { canonicalDetail, chainEntries, type AuditRecord } from "../../lib/audit/audit-chain.ts";
import { insertRecords, readHead } from "../../lib/audit/audit-store.ts";
import type { Home } from "./home.ts";
import { withFileDb } from "./migrate.ts";

const ATTEMPTS = 5;

/** Appends one row; false when there is no database yet (before `seed init` there is no ledger). */
export async function auditFromCli(home: Home, action: string, target: string | null, detail: Record<string, unknown> = {}): Promise<AuditRecord | false> {
  if (!existsSync(home.db)) return false;
  return withFileDb(home.db, async (db) => {
    await db.run(sql`PRAGMA busy_timeout = 5000`);
    for (let attempt = 1; ; attempt++) {
      const [record] = await chainEntries(await readHead(db), [
        { at: Date.now(), actor: "root", keyId: null, action, method: null, route: null, scope: null, status: null, detail: canonicalDetail({ ...(target === null ? {} : { target }), ...detail, via: "cli" }) },
      ]);
      try {
        await insertRecords(db, [record!]);
        return record!;
      } catch (err) {
        if (attempt < ATTEMPTS && /UNIQUE|constraint/i.test(String((err as Error)?.message ?? err))) continue;
        throw err;
      }
    }
  });
}

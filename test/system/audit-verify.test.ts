// `seed audit verify` against a real SEED_HOME: an intact ledger passes; a row altered or removed
// in the database file (after dropping the append-only triggers, as someone with the file could)
// is named, and the command exits non-zero.
import { cpSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainEntries, EMPTY_HEAD, hashRecord, type AuditEntry } from "../../lib/audit/audit-chain.ts";
import { insertRecords, readRecords } from "../../lib/audit/audit-store.ts";
import { signCheckpoint } from "../../lib/audit/checkpoint.ts";
import { importSigningKey, pemBody } from "../../lib/audit/ed25519.ts";
import { homePaths, type Home } from "../../scripts/cli/home.ts";
import { readIdentity } from "../../scripts/cli/identity.ts";
import { withFileDb } from "../../scripts/cli/migrate.ts";
import { initHome } from "../../scripts/cli/seed-init.ts";
import { runCli } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";

const entry = (i: number): AuditEntry => ({
  at: 1_800_000_000_000 + i,
  actor: "helper",
  keyId: "abcdefghijklmnop",
  action: "request",
  method: "GET",
  route: "/v1/status",
  scope: "status:read",
  status: 200,
  detail: null,
});

async function seedLedger(home: Home, rows: number, checkpointAt: number) {
  const id = readIdentity(home)!;
  const key = await importSigningKey(pemBody(readFileSync(home.identityKey, "utf8")));
  const recs = await chainEntries(EMPTY_HEAD, Array.from({ length: rows }, (_, i) => entry(i + 1)));
  const cp = await signCheckpoint(key, id.seedId, { seq: checkpointAt, hash: recs[checkpointAt - 1]!.hash }, 1_800_000_100_000, "periodic");
  await withFileDb(home.db, (db) => insertRecords(db, recs, cp));
}

/** What someone holding the database file could do: drop the guard, change the row. */
async function tamper(home: Home, statement: ReturnType<typeof sql>) {
  await withFileDb(home.db, async (db) => {
    await db.run(sql`drop trigger audit_log_no_update`);
    await db.run(sql`drop trigger audit_log_no_delete`);
    await db.run(statement);
    // …and put the guard back, so only the chain can tell.
    await db.run(sql.raw("CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log` BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END"));
    await db.run(sql.raw("CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log` BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END"));
  });
}

describe("seed audit verify (system)", () => {
  const dir = tempDir("seed audit verify ");
  const pristine = homePaths(path.join(dir, "pristine home"));
  let copies = 0;
  /** A copy of the pristine home for one test: tampering never touches a file another test reads. */
  const freshHome = () => {
    const home = homePaths(path.join(dir, `seed home ${++copies}`));
    cpSync(pristine.dir, home.dir, { recursive: true });
    return home;
  };
  const verify = (home: Home, ...extra: string[]) => runCli(["audit", "verify", "--home", home.dir, ...extra]);

  beforeAll(async () => {
    await initHome(pristine);
    await seedLedger(pristine, 12, 10);
    await withFileDb(pristine.db, (db) => db.run(sql`PRAGMA wal_checkpoint(TRUNCATE)`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("an intact ledger verifies, exit 0", () => {
    const r = verify(freshHome());
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/intact — 12 rows/);
    expect(r.stdout).toContain("1 signed checkpoints verified");
    expect(r.stdout).toContain("2 row(s) after the last signed checkpoint");
  });

  it("a tampered row is named, exit 1", async () => {
    const home = freshHome();
    await tamper(home, sql`update audit_log set status = 403 where seq = 7`);
    const r = verify(home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("NOT intact");
    expect(r.stdout).toContain("first bad row: 7 — row 7 was altered");
    const json = JSON.parse(verify(home, "--json").stdout) as { ok: boolean; firstBad: { seq: number; kind: string } };
    expect(json).toMatchObject({ ok: false, firstBad: { seq: 7, kind: "altered" } });
  });

  it("a row forged with a fresh hash, its successor's link edited to match, is named, exit 1", async () => {
    // Issue 16: the hash must cover prevHash, or this forgery (under a signed checkpoint) verifies.
    const home = freshHome();
    const row5 = (await withFileDb(home.db, (db) => readRecords(db, { after: 4, limit: 1 })))[0]!;
    const { hash: _old, ...rest } = row5;
    const forgedHash = await hashRecord({ ...rest, status: 500 });
    await tamper(home, sql`update audit_log set status = 500, hash = ${forgedHash} where seq = 5`);
    await tamper(home, sql`update audit_log set prev_hash = ${forgedHash} where seq = 6`);
    const r = verify(home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("NOT intact");
    expect(r.stdout).toContain("first bad row: 6 — row 6 was altered: its content does not match its hash");
  });

  it("a removed row is named, exit 1", async () => {
    const home = freshHome();
    await tamper(home, sql`delete from audit_log where seq = 4`);
    const r = verify(home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("first bad row: 4 — row 4 was removed");
  });

  it("removing the tail is caught by the signed checkpoint", async () => {
    const home = freshHome();
    await tamper(home, sql`delete from audit_log where seq >= 9`);
    const r = verify(home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("first bad row: 9 — rows 9..10 were removed: a signed checkpoint counts 10 rows");
  });

  it("a ledger whose append-only triggers were dropped is not intact", async () => {
    const home = freshHome();
    await withFileDb(home.db, (db) => db.run(sql`drop trigger audit_checkpoints_no_delete`));
    const r = verify(home);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("the append-only triggers are gone: audit_checkpoints_no_delete");
  });
});

// `seed audit verify` reads libSQL's rows and then the rows the AuditLedger object has committed
// and not yet copied (scripts/cli/audit-verify.ts everyRecord). A CLI owner change made while the
// seed was down with rows still uncopied takes the same seq in libSQL: the ledger will chain its
// rows again after it, and verify must count and check them so — never drop one, never cry tamper.
import { describe, expect, it } from "vitest";
import { chainEntries, type AuditRecord } from "../../lib/audit/audit-chain.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { everyRecord } from "../../scripts/cli/audit-verify.ts";
import { auditLedger, entry } from "../support/audit-ledger.ts";

const SEED = "seed-testtesttesttesttesttest";

async function* stream(rows: AuditRecord[]) {
  yield* rows;
}

async function merged(db: AuditRecord[], pending: AuditRecord[], publicKey: Awaited<ReturnType<typeof auditLedger>>["publicKey"]) {
  let pendingRows = 0;
  const seen: AuditRecord[] = [];
  async function* tap() {
    for await (const r of everyRecord(stream(db), pending, () => pendingRows++)) {
      seen.push(r);
      yield r;
    }
  }
  const report = await verifyChain(tap(), [], publicKey, SEED);
  return { report, pendingRows, seen };
}

const cliRow = (head: AuditRecord) => chainEntries({ seq: head.seq, hash: head.hash }, [{ ...entry(99), actor: "root", keyId: null, action: "services.set", detail: '{"via":"cli"}' }]);

describe("verify over libSQL and the ledger's uncopied rows", () => {
  it("uncopied rows after libSQL's head are verified and counted", async () => {
    const { rows, publicKey } = await auditLedger(SEED, 8, []);
    const r = await merged(rows.slice(0, 5), rows.slice(5), publicKey);
    expect(r.report).toMatchObject({ ok: true, rows: 8, head: { seq: 8, hash: rows[7]!.hash } });
    expect(r.pendingRows).toBe(3);
  });

  it("a row copied between the two reads is counted once", async () => {
    const { rows, publicKey } = await auditLedger(SEED, 8, []);
    const r = await merged(rows, rows.slice(5), publicKey);
    expect(r.report).toMatchObject({ ok: true, rows: 8 });
    expect(r.pendingRows).toBe(0);
  });

  for (const uncopied of [1, 3]) {
    it(`${uncopied} uncopied row(s) and a CLI row at the same seq: intact, every row counted, chained after the CLI's as the ledger will`, async () => {
      const { rows, publicKey } = await auditLedger(SEED, 5 + uncopied, []);
      const [cli] = await cliRow(rows[4]!);
      const r = await merged([...rows.slice(0, 5), cli!], rows.slice(5), publicKey);
      expect(r.report.problems).toEqual([]);
      expect(r.report).toMatchObject({ ok: true, rows: 6 + uncopied, head: { seq: 6 + uncopied } });
      expect(r.pendingRows).toBe(uncopied);
      expect(r.seen.slice(6).map((x) => x.route)).toEqual(rows.slice(5).map((x) => x.route));
    });
  }

  it("an uncopied row altered in the object's file is still found, CLI row or not", async () => {
    const { rows, publicKey } = await auditLedger(SEED, 8, []);
    const [cli] = await cliRow(rows[4]!);
    const forged = rows.slice(5).map((x, i) => (i === 1 ? { ...x, route: "/v1/owner/keys" } : x));
    expect((await merged([...rows.slice(0, 5), cli!], forged, publicKey)).report.ok).toBe(false);
    expect((await merged(rows.slice(0, 5), forged, publicKey)).report.ok).toBe(false);
    // A segment that does not begin at a row libSQL holds (its first row's link is wrong).
    const detached = rows.slice(5).map((x, i) => (i === 0 ? { ...x, prevHash: "f".repeat(64) } : x));
    expect((await merged([...rows.slice(0, 5), cli!], detached, publicKey)).report.ok).toBe(false);
  });
});

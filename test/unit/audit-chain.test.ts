import { describe, expect, it } from "vitest";
import { canonicalDetail, canonicalRecord, canonicalText, chainEntries, EMPTY_HEAD, GENESIS_HASH, hashRecord, type AuditRecord } from "../../lib/audit/audit-chain.ts";
import { sha256Hex } from "../../lib/keys.ts";
import { signCheckpoint } from "../../lib/audit/checkpoint.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { auditLedger, ed25519Pair, entry, rehash } from "../support/audit-ledger.ts";

const SEED = "seed-testtesttesttesttesttest";
const ledger = (n: number, checkpointsAt: number[]) => auditLedger(SEED, n, checkpointsAt);

describe("audit hash chain", () => {
  it("hashes canonical text: NUL and lone surrogates become U+FFFD, pairs and everything else stay", async () => {
    expect(canonicalText("/healthz\u0000x")).toBe("/healthz\uFFFDx");
    expect(canonicalText("a\uD800b\uDC00c\uDBFF")).toBe("a\uFFFDb\uFFFDc\uFFFD");
    expect(canonicalText("\uD83D\uDE00 ok \t\n")).toBe("\uD83D\uDE00 ok \t\n");
    expect(canonicalText(null)).toBeNull();
    const [row] = await chainEntries(EMPTY_HEAD, [{ ...entry(1), route: "/healthz\u0000x", detail: "\uDC00" }]);
    expect(row).toMatchObject({ route: "/healthz\uFFFDx", detail: "\uFFFD" });
    const { hash, ...rest } = row!;
    expect(hash).toBe(await sha256Hex(canonicalRecord(rest)));
  });

  it("chains rows 1..n, each carrying the hash of the one before", async () => {
    const { rows } = await ledger(5, []);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(5);
    const more = await chainEntries({ seq: 5, hash: rows[4]!.hash }, [entry(6)]);
    expect(more[0]).toMatchObject({ seq: 6, prevHash: rows[4]!.hash });
  });

  it("canonical detail sorts keys at every level, so equal details hash equally", () => {
    expect(canonicalDetail({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"y":2,"z":1}]},"b":1}');
    expect(canonicalDetail(null)).toBeNull();
  });

  it("an intact ledger verifies, checkpoints included", async () => {
    const { rows, cps, publicKey } = await ledger(10, [4, 8]);
    const r = await verifyChain(rows, cps, publicKey, SEED);
    expect(r).toMatchObject({ ok: true, rows: 10, head: { seq: 10, hash: rows[9]!.hash }, checkpoints: { total: 2, verified: 2, lastSeq: 8 }, unattestedRows: 2, firstBad: null });
  });

  it("names a row whose content was altered", async () => {
    const { rows, cps, publicKey } = await ledger(10, [8]);
    rows[4] = { ...rows[4]!, status: 403 };
    const r = await verifyChain(rows, cps, publicKey, SEED);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 5, kind: "altered" });
  });

  it("names a row that was altered and re-hashed (the next row still holds its old hash)", async () => {
    const { rows, publicKey } = await ledger(10, []);
    rows[2] = await rehash({ ...rows[2]!, route: "/v1/harmless" });
    const r = await verifyChain(rows, [], publicKey, SEED);
    expect(r.firstBad).toMatchObject({ seq: 3, kind: "altered" });
  });

  it("names a forged row whose successor's link was edited to match (the hash covers prevHash)", async () => {
    // Issue 16: with prevHash left out of the hash, this forgery under a signed checkpoint verified.
    const { rows, cps, publicKey } = await ledger(10, [8]);
    rows[4] = await rehash({ ...rows[4]!, status: 200, route: "/v1/harmless" });
    rows[5] = { ...rows[5]!, prevHash: rows[4]!.hash }; // the link fixed up, row 6's own hash kept
    const r = await verifyChain(rows, cps, publicKey, SEED);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 6, kind: "altered" });
    expect(r.firstBad!.message).toBe("row 6 was altered: its content does not match its hash");
    expect(r.problems).toHaveLength(1);
  });

  it("every field of a row, prevHash and seq included, is covered by its hash", async () => {
    const { rows } = await ledger(2, []);
    const base = rows[1]!;
    const { hash: _h, ...rest } = base;
    const changes: Partial<AuditRecord>[] = [
      { seq: 3 }, { at: base.at + 1 }, { actor: "root" }, { keyId: "x" }, { keyId: null }, { action: "other" }, { method: "POST" }, { method: null },
      { route: "/x" }, { route: null }, { scope: "other" }, { scope: null }, { status: 201 }, { status: null }, { detail: "{}" }, { prevHash: GENESIS_HASH },
    ];
    for (const c of changes) expect(await hashRecord({ ...rest, ...c }), JSON.stringify(c)).not.toBe(base.hash);
    expect(await hashRecord(rest)).toBe(base.hash);
    // The exact bytes: a versioned array in a fixed order, so a verifier elsewhere can recompute it.
    expect(canonicalRecord(rest)).toBe(JSON.stringify(["seed-audit/v1", 2, base.at, "helper", "abcdefghijklmnop", "request", "GET", "/v1/status/2", "status:read", 200, null, rows[0]!.hash]));
    expect(base.hash).toBe(await sha256Hex(canonicalRecord(rest)));
  });

  it("names removed rows", async () => {
    const { rows, cps, publicKey } = await ledger(10, [9]);
    rows.splice(5, 2); // rows 6 and 7
    const r = await verifyChain(rows, cps, publicKey, SEED);
    expect(r.firstBad).toMatchObject({ seq: 6, kind: "removed" });
    expect(r.firstBad!.message).toBe("rows 6..7 were removed");
  });

  it("catches a rewritten tail through the signed checkpoint, and a truncated one", async () => {
    const { rows, cps, publicKey } = await ledger(10, [4, 8]);
    // Rewrite rows 6..10 consistently (every hash recomputed): only the checkpoint at 8 can tell.
    const forged = rows.slice(0, 5);
    for (const e of await chainEntries({ seq: 5, hash: rows[4]!.hash }, [6, 7, 8, 9, 10].map((i) => ({ ...entry(i), status: 500 })))) forged.push(e);
    const rewritten = await verifyChain(forged, cps, publicKey, SEED);
    expect(rewritten.firstBad).toMatchObject({ seq: 5, kind: "rewritten" });
    const truncated = await verifyChain(rows.slice(0, 6), cps, publicKey, SEED);
    expect(truncated.firstBad).toMatchObject({ seq: 7, kind: "removed" });
  });

  it("rejects a checkpoint that is not the seed's signature", async () => {
    const { rows, cps, publicKey } = await ledger(6, [6]);
    const other = await ed25519Pair();
    const forgedCp = await signCheckpoint(other.privateKey, SEED, { seq: 6, hash: rows[5]!.hash }, 1, "periodic");
    expect((await verifyChain(rows, [forgedCp], publicKey, SEED)).firstBad).toMatchObject({ seq: 6, kind: "bad_signature" });
    expect((await verifyChain(rows, cps, publicKey, "seed-another")).firstBad).toMatchObject({ kind: "bad_signature" });
  });
});

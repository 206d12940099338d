// What `seed audit verify` tells the owner, exactly: each kind of damage named by its first row
// and in words, problems in row order whatever order they were found in, checkpoints in any
// order; and the chain's fixed format (genesis, canonical row) pinned by a known answer computed
// with node:crypto, so a change to either is a deliberate one. Complements audit-chain.test.ts.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalDetail, chainEntries, EMPTY_HEAD, GENESIS_HASH } from "../../lib/audit/audit-chain.ts";
import { signCheckpoint } from "../../lib/audit/checkpoint.ts";
import { verifyChain } from "../../lib/audit/verify-chain.ts";
import { auditLedger, ed25519Pair, entry, rehash } from "../support/audit-ledger.ts";

const SEED = "seed-verifyverifyverifyverify";
const ledger = (n: number, checkpointsAt: number[]) => auditLedger(SEED, n, checkpointsAt);

const messages = (r: { problems: { seq: number; kind: string; message: string }[] }) => r.problems.map((p) => [p.seq, p.kind, p.message]);

describe("audit verification, in words", () => {
  it("one removed row and a removed range are named as such", async () => {
    const { rows, publicKey } = await ledger(10, []);
    const one = await verifyChain(rows.filter((r) => r.seq !== 4), [], publicKey, SEED);
    expect(messages(one)).toEqual([[4, "removed", "row 4 was removed"]]);
    const range = await verifyChain(rows.filter((r) => r.seq < 4 || r.seq > 6), [], publicKey, SEED);
    expect(messages(range)).toEqual([[4, "removed", "rows 4..6 were removed"]]);
  });

  it("a first row that does not start the chain, and a row rewritten with its hash", async () => {
    const { rows, publicKey } = await ledger(5, []);
    const { hash: _h1, ...first } = rows[0]!;
    const notFirst = await verifyChain([await rehash({ ...first, prevHash: "f".repeat(64) }), ...rows.slice(1)], [], publicKey, SEED);
    // Row 2 still records the old hash of row 1, so row 1 is named twice: how it starts, and by its successor.
    expect(messages(notFirst)).toEqual([
      [1, "altered", "row 1 was altered: it does not start the chain"],
      [1, "altered", "row 1 was altered: its hash is not the one row 2 recorded"],
    ]);
    const { hash: _h3, ...third } = rows[2]!;
    const rewritten = await verifyChain([...rows.slice(0, 2), await rehash({ ...third, status: 500 }), ...rows.slice(3)], [], publicKey, SEED);
    expect(messages(rewritten)).toEqual([[3, "altered", "row 3 was altered: its hash is not the one row 4 recorded"]]);
    const edited = await verifyChain([...rows.slice(0, 2), { ...rows[2]!, status: 500 }, ...rows.slice(3)], [], publicKey, SEED);
    expect(messages(edited)).toEqual([[3, "altered", "row 3 was altered: its content does not match its hash"]]);
  });

  it("a rewritten range after the last good checkpoint, a bad signature and rows a checkpoint counts", async () => {
    const { rows, cps, publicKey } = await ledger(12, [4, 8]);
    // Rows 5..12 rebuilt from scratch (every link consistent): only the checkpoint at 8 catches it.
    const forged = [...rows.slice(0, 4)];
    for (const r of rows.slice(4)) {
      const { hash: _h, ...rest } = r;
      forged.push(await rehash({ ...rest, status: 201, prevHash: forged.at(-1)!.hash }));
    }
    const r = await verifyChain(forged, cps, publicKey, SEED);
    expect(messages(r)).toEqual([[5, "rewritten", "rows 5..8 were rewritten: row 8's hash differs from the one the checkpoint signed"]]);

    const badSig = { ...cps[0]!, signature: cps[1]!.signature };
    expect(messages(await verifyChain(rows, [badSig, cps[1]!], publicKey, SEED))).toEqual([
      [4, "bad_signature", "checkpoint at row 4: the signature does not verify with the seed's public key"],
    ]);

    const { privateKey, publicKey: pub } = await ed25519Pair();
    // Checkpoints beyond the end, given in any order: each names the rows it counts, in row order of the checkpoints.
    const beyond = [
      await signCheckpoint(privateKey, SEED, { seq: 15, hash: "a".repeat(64) }, 1, "periodic"),
      await signCheckpoint(privateKey, SEED, { seq: 13, hash: "b".repeat(64) }, 2, "periodic"),
    ];
    const cut = await ledger(10, []);
    const tail = await verifyChain(cut.rows, beyond, pub, SEED);
    expect(messages(tail)).toEqual([
      [11, "removed", "rows 11..13 were removed: a signed checkpoint counts 13 rows"],
      [11, "removed", "rows 11..15 were removed: a signed checkpoint counts 15 rows"],
    ]);
  });

  it("problems are listed in row order, whatever order they were found in", async () => {
    const { rows, cps, publicKey } = await ledger(10, [2, 9]);
    // Found first: the bad signature at 9 (checkpoints are checked before any row); then row 3 edited and row 7 removed.
    const damaged = rows.filter((r) => r.seq !== 7).map((r) => (r.seq === 3 ? { ...r, status: 404 } : r));
    const r = await verifyChain(damaged, [cps[0]!, { ...cps[1]!, signature: cps[0]!.signature }], publicKey, SEED);
    expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([
      [3, "altered"],
      [7, "removed"],
      [9, "bad_signature"],
    ]);
    expect(r.firstBad).toMatchObject({ seq: 3, kind: "altered" });
  });
});

describe("the chain's fixed format", () => {
  it("the genesis link is 64 zeros and a row hashes as the sha256 of its versioned JSON array", async () => {
    expect(GENESIS_HASH).toBe("0000000000000000000000000000000000000000000000000000000000000000");
    const [first] = await chainEntries(EMPTY_HEAD, [entry(1)]);
    const text = `["seed-audit/v1",1,1700000000001,"helper","abcdefghijklmnop","request","GET","/v1/status/1","status:read",200,null,"${"0".repeat(64)}"]`;
    expect(first!.hash).toBe(createHash("sha256").update(text).digest("hex"));
  });

  it("a detail with null values canonicalises (null is not an object to sort)", () => {
    expect(canonicalDetail({ b: null, a: [null, { d: null, c: 1 }] })).toBe('{"a":[null,{"c":1,"d":null}],"b":null}');
  });
});

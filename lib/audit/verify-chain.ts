// Recomputes the ledger's chain and checks the signed checkpoints; names the first row that was
// altered or removed. Streaming: rows arrive in seq order, page by page.
import { EMPTY_HEAD, hashRecord, type AuditRecord, type ChainHead } from "./audit-chain.ts";
import { verifyCheckpoint, type Checkpoint } from "./checkpoint.ts";
import type { Ed25519Key } from "./ed25519.ts";

export type ProblemKind = "removed" | "altered" | "rewritten" | "bad_signature";

export type Problem = {
  /** The first row the problem concerns (for `rewritten`, the first row of the suspect range). */
  seq: number;
  kind: ProblemKind;
  message: string;
};

export type VerifyReport = {
  ok: boolean;
  rows: number;
  head: ChainHead;
  checkpoints: { total: number; verified: number; lastSeq: number | null };
  /** Rows after the last good checkpoint: only the chain vouches for them, a signature does not. */
  unattestedRows: number;
  firstBad: Problem | null;
  problems: Problem[];
};

export async function verifyChain(
  rows: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  checkpoints: Checkpoint[],
  verifyKey: Ed25519Key,
  seedId: string,
): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const bySeq = new Map<number, Checkpoint>();
  let verified = 0;
  let lastGood = 0;
  for (const cp of [...checkpoints].sort((a, b) => a.seq - b.seq)) {
    if (await verifyCheckpoint(verifyKey, seedId, cp)) bySeq.set(cp.seq, cp);
    else problems.push({ seq: cp.seq, kind: "bad_signature", message: `checkpoint at row ${cp.seq}: the signature does not verify with the seed's public key` });
  }

  let prev: ChainHead = EMPTY_HEAD;
  let count = 0;
  for await (const r of rows) {
    count++;
    if (r.seq !== prev.seq + 1) {
      const last = r.seq - 1;
      problems.push({ seq: prev.seq + 1, kind: "removed", message: last === prev.seq + 1 ? `row ${last} was removed` : `rows ${prev.seq + 1}..${last} were removed` });
    } else if (r.prevHash !== prev.hash) {
      // This row still carries the old hash of the row before it: that row was rewritten
      // (content and hash both changed).
      const bad = Math.max(prev.seq, 1);
      problems.push({ seq: bad, kind: "altered", message: prev.seq === 0 ? "row 1 was altered: it does not start the chain" : `row ${bad} was altered: its hash is not the one row ${r.seq} recorded` });
    }
    const { hash, ...rest } = r;
    if ((await hashRecord(rest)) !== hash) {
      problems.push({ seq: r.seq, kind: "altered", message: `row ${r.seq} was altered: its content does not match its hash` });
    }
    const cp = bySeq.get(r.seq);
    if (cp) {
      if (cp.headHash === hash) {
        verified++;
        lastGood = r.seq;
      } else {
        problems.push({
          seq: lastGood + 1,
          kind: "rewritten",
          message: `rows ${lastGood + 1}..${r.seq} were rewritten: row ${r.seq}'s hash differs from the one the checkpoint signed`,
        });
      }
      bySeq.delete(r.seq);
    }
    prev = { seq: r.seq, hash };
  }
  for (const cp of bySeq.values()) {
    problems.push({ seq: prev.seq + 1, kind: "removed", message: `rows ${prev.seq + 1}..${cp.seq} were removed: a signed checkpoint counts ${cp.seq} rows` });
  }
  problems.sort((a, b) => a.seq - b.seq);
  const lastSeq = checkpoints.length ? Math.max(...checkpoints.map((c) => c.seq)) : null;
  return {
    ok: problems.length === 0,
    rows: count,
    head: prev,
    checkpoints: { total: checkpoints.length, verified, lastSeq },
    unattestedRows: Math.max(0, prev.seq - lastGood),
    firstBad: problems[0] ?? null,
    problems,
  };
}

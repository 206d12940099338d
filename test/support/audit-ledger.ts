// A signed audit ledger made in memory, for the unit tests of the hash chain and its verification.
import { chainEntries, EMPTY_HEAD, hashRecord, type AuditEntry, type AuditRecord } from "../../lib/audit/audit-chain.ts";
import { signCheckpoint, type Checkpoint } from "../../lib/audit/checkpoint.ts";

type CryptoKeyLike = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
export type KeyPair = { privateKey: CryptoKeyLike; publicKey: CryptoKeyLike };

export async function ed25519Pair(): Promise<KeyPair> {
  return (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as KeyPair;
}

/** The i-th row of a helper's plain requests. */
export const entry = (i: number): AuditEntry => ({
  at: 1_700_000_000_000 + i,
  actor: "helper",
  keyId: "abcdefghijklmnop",
  action: "request",
  method: "GET",
  route: `/v1/status/${i}`,
  scope: "status:read",
  status: 200,
  detail: null,
});

/** `n` chained rows of `seedId`, with a signed checkpoint at each of `checkpointsAt` (a seq). */
export async function auditLedger(seedId: string, n: number, checkpointsAt: number[]) {
  const { privateKey, publicKey } = await ed25519Pair();
  const rows = await chainEntries(EMPTY_HEAD, Array.from({ length: n }, (_, i) => entry(i + 1)));
  const cps: Checkpoint[] = [];
  for (const at of checkpointsAt) cps.push(await signCheckpoint(privateKey, seedId, { seq: at, hash: rows[at - 1]!.hash }, 1_700_000_100_000 + at, "periodic"));
  return { rows, cps, publicKey, privateKey };
}

/** A row with its hash recomputed over what it now says (a forger who knows the format). */
export async function rehash(r: Omit<AuditRecord, "hash"> & { hash?: string }): Promise<AuditRecord> {
  const { hash: _old, ...rest } = r;
  return { ...rest, hash: await hashRecord(rest) };
}

// A checkpoint is the seed's signed statement of the ledger's length and head hash at a moment.
// Anything removed or rewritten at or before a checkpoint's row no longer matches its signature.
import type { ChainHead } from "./audit-chain.ts";
import { signText, verifyText, type Ed25519Key } from "./ed25519.ts";

export type CheckpointReason = "periodic" | "rows" | "handoff" | "manual";

export type Checkpoint = { seq: number; headHash: string; at: number; reason: string; signature: string };

/** The signed text; the seed id binds a checkpoint to the one seed that made it. */
export function checkpointMessage(seedId: string, cp: Omit<Checkpoint, "signature">): string {
  return `seed-audit-checkpoint/v1\n${seedId}\n${cp.seq}\n${cp.headHash}\n${cp.at}\n${cp.reason}`;
}

export async function signCheckpoint(key: Ed25519Key, seedId: string, head: ChainHead, at: number, reason: CheckpointReason): Promise<Checkpoint> {
  const base = { seq: head.seq, headHash: head.hash, at, reason };
  return { ...base, signature: await signText(key, checkpointMessage(seedId, base)) };
}

export function verifyCheckpoint(key: Ed25519Key, seedId: string, cp: Checkpoint): Promise<boolean> {
  return verifyText(key, checkpointMessage(seedId, cp), cp.signature);
}

// The hash chain of the audit ledger. Each row's hash covers its content and the previous row's
// hash, so altering, inserting or removing a row breaks the chain from that row on. Web Crypto
// only: the Worker writes with it, the CLI verifies with it.
import { sha256Hex } from "../keys.ts";

export const GENESIS_HASH = "0".repeat(64);

/** What a caller records; the ledger adds seq and the hashes. */
export type AuditEntry = {
  at: number;
  actor: "root" | "agent" | "helper" | "anonymous" | "seed";
  keyId: string | null;
  action: string;
  method: string | null;
  route: string | null;
  scope: string | null;
  status: number | null;
  /** Canonical JSON text (see canonicalDetail) or null. */
  detail: string | null;
};

export type AuditRecord = Omit<AuditEntry, "actor"> & { actor: string; seq: number; prevHash: string; hash: string };

export type ChainHead = { seq: number; hash: string };

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** JSON with object keys sorted at every level, so the same detail always hashes the same. */
export function canonicalDetail(value: Record<string, unknown> | null | undefined): string | null {
  if (value == null) return null;
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sort(value));
}

const NOT_STORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as the database stores it and gives it back, so a row's hash covers byte for byte what is
 * read back: NUL (the native driver cuts text at it) and lone UTF-16 surrogates (not Unicode; UTF-8
 * cannot hold them) become U+FFFD. A route `/healthz%00x` was hashed whole but stored cut at the
 * NUL, and `seed audit verify` then called the row altered forever (issue 9 item 2).
 */
export function canonicalText(text: string): string;
export function canonicalText(text: string | null): string | null;
export function canonicalText(text: string | null): string | null {
  return text === null ? null : text.replace(NOT_STORABLE, "\uFFFD");
}

/** An entry with every text field in canonical text (what chainEntries hashes and stores). */
export function canonicalEntry(e: AuditEntry): AuditEntry {
  return {
    ...e,
    actor: canonicalText(e.actor) as AuditEntry["actor"],
    keyId: canonicalText(e.keyId),
    action: canonicalText(e.action),
    method: canonicalText(e.method),
    route: canonicalText(e.route),
    scope: canonicalText(e.scope),
    detail: canonicalText(e.detail),
  };
}

/** The exact bytes a row's hash covers: a versioned JSON array in a fixed field order. */
export function canonicalRecord(r: Omit<AuditRecord, "hash">): string {
  return JSON.stringify(["seed-audit/v1", r.seq, r.at, r.actor, r.keyId, r.action, r.method, r.route, r.scope, r.status, r.detail, r.prevHash]);
}

export function hashRecord(r: Omit<AuditRecord, "hash">): Promise<string> {
  return sha256Hex(canonicalRecord(r));
}

/** Chains entries after `head`: seq head.seq+1, +2, … each linked to the one before, in canonical text. */
export async function chainEntries(head: ChainHead, entries: AuditEntry[]): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let prev = head;
  for (const e of entries) {
    const base = { ...canonicalEntry(e), seq: prev.seq + 1, prevHash: prev.hash };
    const rec = { ...base, hash: await hashRecord(base) };
    out.push(rec);
    prev = rec;
  }
  return out;
}

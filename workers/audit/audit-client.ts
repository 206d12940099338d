// How the Worker writes to the audit ledger: through its single writer, the AuditLedger object.
import type { Context } from "hono";
import type { AppendResult } from "../../durable/audit/audit-ledger.ts";
import { canonicalDetail, type AuditEntry } from "../../lib/audit/audit-chain.ts";
import type { CheckpointReason } from "../../lib/audit/checkpoint.ts";
import { UnavailableError } from "../../lib/errors.ts";
import type { AppEnv } from "../app-env.ts";

// The ledger's id, derived once per namespace (idFromName hashes the name on every call); the
// stub is made per request, as workerd requires.
const ledgerIds = new WeakMap<object, DurableObjectId>();

export function auditLedger(env: Env) {
  let id = ledgerIds.get(env.AUDIT);
  if (!id) ledgerIds.set(env.AUDIT, (id = env.AUDIT.idFromName("ledger")));
  return env.AUDIT.get(id);
}

/** Appends and waits for the commit; a ledger that cannot write fails the request closed (503). */
export async function recordAudit(env: Env, entries: AuditEntry[], opts: { checkpoint?: CheckpointReason } = {}): Promise<AppendResult> {
  try {
    return await auditLedger(env).append(entries, opts);
  } catch (cause) {
    throw new UnavailableError("the audit ledger could not record this request", "audit_unavailable", { cause });
  }
}

/**
 * Waits until every committed row is in libSQL, where the read routes look: the ledger commits
 * rows in its own storage first and copies them after (durable/audit/audit-ledger.ts).
 */
export async function flushAudit(env: Env): Promise<void> {
  try {
    await auditLedger(env).flush();
  } catch (cause) {
    throw new UnavailableError("the audit ledger could not bring its newest rows to libSQL", "audit_unavailable", { cause });
  }
}

/** An entry for something the authenticated caller of this request did. */
export function ownerAction(c: Context<AppEnv>, action: string, detail: Record<string, unknown>, status = 200): AuditEntry {
  const caller = c.var.caller;
  return {
    at: Date.now(),
    actor: caller.kind,
    keyId: caller.keyId,
    action,
    method: c.req.method,
    route: c.req.path,
    scope: null,
    status,
    detail: canonicalDetail(detail),
  };
}

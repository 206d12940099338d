// Every action a helper key takes over a bus WebSocket is written to the audit ledger like the
// HTTP equivalent: key id, what (a frame, and its kind), the scope it used, the outcome status —
// before the reply (or the pushed messages) reach the socket. Agents and the owner are not
// audited per frame, as they are not per request.
import { canonicalDetail, type AuditEntry } from "../../lib/audit/audit-chain.ts";

export const SOCKET_ROUTE = "/v1/bus/connect";

export function frameEntry(at: number, keyId: string, status: number, scope: string | null, detail: Record<string, unknown>): AuditEntry {
  return { at, actor: "helper", keyId, action: "frame", method: "WS", route: SOCKET_ROUTE, scope, status, detail: canonicalDetail(detail) };
}

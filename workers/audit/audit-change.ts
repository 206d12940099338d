// The one way an owner route records a change it made: egress, credentials, keys, agents, hooks,
// rules, mode, planner, notify, embedder, expectations, schedules, imports. One row per change,
// written before the answer (a ledger that cannot record it answers 503). `detail` names what
// changed and never holds a secret: a webhook or notify secret is recorded as `secret: "given" |
// "generated"`, a credential by its name only. test/workers/audit-owner-changes.test.ts lists
// every owner-only route that changes something: a new one without a row fails it.
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { ownerAction, recordAudit } from "./audit-client.ts";

export async function auditChange(c: Context<AppEnv>, action: string, target: string | null, detail: Record<string, unknown> = {}, status = 200): Promise<void> {
  await recordAudit(c.env, [ownerAction(c, action, target === null ? detail : { target, ...detail }, status)]);
}

// The mind's readiness for /readyz and GET /v1/status: it answers, and it is on time (its alarm
// fired when due, it is armed while work is due, its cycles are not failing). Throws a short
// reason when not — "late by 5m (alarm_late)" — and nothing more about the inside.
import { formatDuration } from "../../lib/mind/duration.ts";
import { mindOf } from "./mind-stub.ts";

export class MindLateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MindLateError";
  }
}

export async function mindReady(env: Env): Promise<void> {
  const p = await mindOf(env).ping();
  if (p.ok) return;
  const by = p.late?.lateByMs ?? null;
  throw new MindLateError(`late${by === null ? "" : ` by ${formatDuration(by)}`} (${p.late?.reason ?? "unknown"})`);
}

// Check-ins (Healthchecks-style): any script on the box with a key that may check in under NAME
// says `start`, `success` or `fail`. Each run is a task of capability NAME in the ledger (origin
// `checkin`, never dispatched to an agent), so check-ins get everything work gets: pace, outcomes,
// `failing`, `stalled` (a start that never finishes), and `missed` once `seed expect NAME` is set.
import type { CheckinInput, Task } from "../../lib/mind/wire.ts";
import type { Ledger } from "./ledger.ts";
import { MindFailure } from "./result.ts";
import { OPEN_WORK } from "./task-row.ts";

export type CheckinResult = { name: string; state: CheckinInput["state"]; run: string; task: Task };

export function checkin(ledger: Ledger, source: string, name: string, input: CheckinInput): CheckinResult {
  const title = `check-in ${name}`;
  const note = input.note ?? null;
  if (input.state === "start") {
    if (input.run) throw new MindFailure(422, "invalid_input", "run: a start begins a new run; it takes no run id");
    const task = ledger.createRun(name, title, source, "claimed", note);
    return { name, state: "start", run: task.id, task };
  }
  const end = input.state === "success" ? "done" : "failed";
  let runId: string | null = null;
  if (input.run) {
    const t = ledger.find(input.run);
    if (!t || t.origin !== "checkin" || t.capability !== name) throw new MindFailure(404, "run_not_found", `no check-in run ${input.run} for ${name}`);
    if (t.state !== "claimed") throw new MindFailure(409, "illegal_transition", `check-in run ${input.run} already ended (${t.state})`);
    runId = t.id;
  } else {
    // Without a run id, the latest open run of this name ends (as Healthchecks does without rid).
    runId =
      ledger.sql
        .exec<{ id: string }>(`SELECT id FROM tasks WHERE capability = ? AND state = 'claimed' AND ${OPEN_WORK} AND origin = 'checkin' ORDER BY created_at DESC LIMIT 1`, name)
        .toArray()[0]?.id ?? null;
  }
  const task = runId ? ledger.finishRun(runId, source, end, note) : ledger.createRun(name, title, source, end, note);
  return { name, state: input.state, run: task.id, task };
}

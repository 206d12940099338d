// A company's task history as `seed work import` reads it (issue 10's scenario), generated, sorted
// by time, relative to `now`. 10,606 lines:
// - payroll: weekly for 6 months until 40 days ago, 2 tasks waiting since 35 and 10 days ago
// - support: every 15 min up to now, 1 in 20 failing
// - backups: hourly until 3 days ago, the hourly tasks since then waiting
// - archive: hourly until 3 days ago, nothing queued since (its scheduler died)
// - reports: two completions ever, 200 days ago
// - ingest: every 2 h, succeeding until 5 days ago and failing every time since
// Every task comes from one source (`ops`) and was run by one of three runners.
import type { ImportLine } from "../../lib/mind/wire.ts";

export type HistoryLine = Omit<ImportLine, "createdAt" | "finishedAt"> & { createdAt: number; finishedAt?: number };

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
export const HISTORY_LINES = 10_606;

/** What the mind must find in it, with the dates (`now` is the import's clock). */
export function expectedFlags(now: number) {
  return {
    payroll: { stalledSince: now - 35 * DAY + 21 * DAY, waitingSince: now - 35 * DAY, lastDoneAt: now - 40 * DAY + 30 * MIN },
    backups: { stalledSince: now - 3 * DAY + 3 * HOUR, waitingSince: now - 3 * DAY, lastDoneAt: now - 3 * DAY - HOUR + 10 * MIN },
    ingest: { failingSince: now - 5 * DAY + 20 * MIN },
    archive: { lastDoneAt: now - 3 * DAY + 5 * MIN, missedSinceHourly: now - 3 * DAY + 5 * MIN + HOUR + 30 * MIN },
  };
}

export function companyHistory(now: number): HistoryLine[] {
  const lines: HistoryLine[] = [];
  const runners = ["runner-a", "runner-b", "runner-c"];
  let n = 0;
  const done = (capability: string, createdAt: number, tookMs: number, state: "done" | "failed" = "done") =>
    lines.push({ id: `${capability}-${n++}`, title: `${capability} run`, capability, source: "ops", state, assignee: runners[n % 3]!, createdAt, finishedAt: createdAt + tookMs, ...(state === "failed" ? { reason: "exit 1" } : {}) });
  const waiting = (capability: string, createdAt: number) => lines.push({ id: `${capability}-${n++}`, title: `${capability} run`, capability, source: "ops", state: "open", createdAt });

  for (let k = 0; k < 26; k++) done("payroll", now - 40 * DAY - k * 7 * DAY, 30 * MIN);
  waiting("payroll", now - 35 * DAY);
  waiting("payroll", now - 10 * DAY);
  for (let k = 1; k <= 7048; k++) done("support", now - k * 15 * MIN, 2 * MIN, k % 20 === 7 ? "failed" : "done");
  for (let k = 1; k <= 1368; k++) done("backups", now - 3 * DAY - k * HOUR, 10 * MIN);
  for (let j = 0; j < 72; j++) waiting("backups", now - 3 * DAY + j * HOUR);
  for (let k = 0; k < 1368; k++) done("archive", now - 3 * DAY - k * HOUR, 5 * MIN);
  done("reports", now - 200 * DAY, 20 * MIN);
  done("reports", now - 200 * DAY + HOUR, 20 * MIN);
  for (let k = 1; k <= 720; k++) {
    const at = now - k * 2 * HOUR;
    done("ingest", at, 20 * MIN, at >= now - 5 * DAY ? "failed" : "done");
  }
  if (lines.length !== HISTORY_LINES) throw new Error(`history has ${lines.length} lines`);
  return lines.sort((a, b) => a.createdAt - b.createdAt || a.id!.localeCompare(b.id!));
}

/** Splits `lines` into `n` batches of near-equal size, in order. */
export function batches<T>(lines: T[], n: number): T[][] {
  const size = Math.ceil(lines.length / n);
  return Array.from({ length: n }, (_, i) => lines.slice(i * size, (i + 1) * size)).filter((b) => b.length > 0);
}

// How `seed pulse` reads: the mind's state, whether it is on time, its coherence signal, a
// sparkline of its history and every flagged subsystem with its dates. Pure: data in, lines out.
import { formatDuration } from "../../lib/mind/duration.ts";
import { sparkline } from "../../lib/mind/sparkline.ts";
import type { CoherenceReport, MindStatus, Subsystem, Watch } from "../../lib/mind/wire.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const num = (x: number | null, signed = false) => (x === null ? "–" : `${signed && x >= 0 ? "+" : ""}${x.toFixed(2)}`);
const ago = (ms: number, now: number) => `${iso(ms)} (${formatDuration(now - ms)} ago)`;

export function watchLine(w: Watch): string {
  if (!w.late) return "on time";
  const by = w.lateByMs === null ? "" : ` by ${formatDuration(w.lateByMs)}`;
  const why =
    w.reason === "alarm_late" ? "its alarm did not fire when work was due"
    : w.reason === "alarm_not_armed" ? "work is due but no alarm is armed"
    : `its last ${w.failedCycles} cycles failed`;
  return `LATE${by}: ${why} (${w.reason})`;
}

export function pulseLines(status: MindStatus, report: CoherenceReport, now = report.at): string[] {
  const lines: string[] = [];
  const wake = status.nextWakeAt === null ? "nothing due: no alarm armed" : `next wake ${iso(status.nextWakeAt)} (${status.nextWakeAt <= now ? "now" : `in ${formatDuration(status.nextWakeAt - now)}`})`;
  lines.push(`mind     ${status.state} · ${status.mode} · ${status.cycles} cycles · ${wake}${status.openImports ? ` · ${status.openImports} import(s) open` : ""}`);
  lines.push(`watch    ${watchLine(report.watch)}`);
  const p = report.pulse;
  const w = p.window;
  const counts = `window ${formatDuration(w.ms)}: ${w.done} done, ${w.failed} failed, ${w.expired} expired`;
  const f = p.flagged;
  const flags = [f.stalled && `${f.stalled} stalled`, f.failing && `${f.failing} failing`, f.missed && `${f.missed} missed`].filter(Boolean).join(", ");
  if (p.signal === "no_signal") {
    lines.push(`pulse    no signal — nothing finished in the window (not "healthy"); backlog ${p.backlog} · ${counts}${flags ? ` · ${flags}` : ""}`);
  } else {
    lines.push(`pulse    C ${num(p.C)} · slow ${num(p.slow)} · drift ${num(p.drift, true)} · backlog ${p.backlog} · regime ${p.regime}${flags ? ` (${flags})` : ""} · ${counts}`);
  }
  const series = report.history.map((h) => (h.signal === "ok" ? h.C : null));
  if (series.length > 0) lines.push(`history  ${sparkline(series.slice(-60))}  (C over the last ${Math.min(60, series.length)} cycles, · = no signal)`);
  if (report.flagged.length === 0) lines.push("flagged  none");
  for (const s of report.flagged) for (const line of describe(s, now)) lines.push(`flagged  ${line}`);
  return lines;
}

function pace(s: Subsystem): string {
  const p = s.pace;
  return p.ms === null ? `pace unknown (${p.intervals} intervals; default threshold)` : `pace ${formatDuration(p.ms)} ${p.basis}, ${p.confidence} confidence`;
}

function describe(s: Subsystem, now: number): string[] {
  const who = `${s.kind} ${s.name}`;
  const out: string[] = [];
  if (s.stalled && s.stalledSince !== null) {
    const why = s.stallReason === "missed_deadline" ? "let a deadline pass" : `no progress past ${formatDuration(s.stallThresholdMs)}; ${pace(s)}`;
    out.push(`${who} STALLED since ${ago(s.stalledSince, now)} · ${s.open} open${s.waitingSince !== null ? `, waiting since ${iso(s.waitingSince)}` : ""} · ${why}`);
  }
  if (s.failing && s.failingSince !== null) {
    const e = s.outcomes.evidence;
    out.push(`${who} FAILING since ${ago(s.failingSince, now)} · ${e.failed + e.expired} of ${e.done + e.failed + e.expired} recent outcomes failed`);
  }
  if (s.missed && s.missedSince !== null) {
    const x = s.expectation;
    const every = x?.everyMs ? `every ${formatDuration(x.everyMs)}` : x?.cron ? `cron "${x.cron}" ${x.tz}` : "as expected";
    out.push(`${who} MISSED since ${ago(s.missedSince, now)} · expected ${every}${s.lastDoneAt !== null ? `, last done ${iso(s.lastDoneAt)}` : ", never done"}`);
  }
  return out;
}

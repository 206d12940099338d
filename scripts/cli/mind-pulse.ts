// How `seed pulse` reads: the mind's state, its coherence signal, a sparkline of its history and
// the subsystems it has flagged. Pure: data in, lines out.
import { formatDuration } from "../../lib/mind/duration.ts";
import { sparkline } from "../../lib/mind/sparkline.ts";
import type { CoherenceReport, MindStatus, Subsystem } from "../../lib/mind/wire.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const num = (x: number | null, signed = false) => (x === null ? "–" : `${signed && x >= 0 ? "+" : ""}${x.toFixed(2)}`);

export function pulseLines(status: MindStatus, report: CoherenceReport, now = report.at): string[] {
  const lines: string[] = [];
  const wake = status.nextWakeAt === null ? "nothing due: no alarm armed" : `next wake ${iso(status.nextWakeAt)} (${status.nextWakeAt <= now ? "now" : `in ${formatDuration(status.nextWakeAt - now)}`})`;
  lines.push(`mind     ${status.state} · ${status.mode} · ${status.cycles} cycles · ${wake}`);
  const p = report.pulse;
  const w = p.window;
  const counts = `window ${formatDuration(w.ms)}: ${w.done} done, ${w.failed} failed, ${w.expired} expired`;
  if (p.signal === "no_signal") {
    lines.push(`pulse    no signal — nothing finished in the window (not "healthy"); backlog ${p.backlog} · ${counts}`);
  } else {
    lines.push(`pulse    C ${num(p.C)} · slow ${num(p.slow)} · drift ${num(p.drift, true)} · backlog ${p.backlog} · regime ${p.regime} · ${counts}`);
  }
  const series = report.history.map((h) => (h.signal === "ok" ? h.C : null));
  if (series.length > 0) lines.push(`history  ${sparkline(series.slice(-60))}  (C over the last ${Math.min(60, series.length)} cycles, · = no signal)`);
  if (report.stalled.length === 0) lines.push("stalled  none");
  for (const s of report.stalled) lines.push(`stalled  ${describe(s, now)}`);
  return lines;
}

function describe(s: Subsystem, now: number): string {
  const since = s.stalledSince === null ? "?" : `${iso(s.stalledSince)} (${formatDuration(now - s.stalledSince)} ago)`;
  const why = s.reason === "missed_deadline" ? "missed a deadline" : `no progress; typical interval ${s.typicalIntervalMs === null ? "unknown" : formatDuration(s.typicalIntervalMs)}`;
  return `${s.kind} ${s.name} since ${since} · ${s.open} open · ${why}`;
}

/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Pulse: the coherence signal C over time (an inline SVG chart), the regime, drift and backlog, and
// the subsystems flagged stalled, failing or missed with their dates and typical pace. From
// GET /v1/mind/coherence (the same report `seed mind pulse` prints).
import type { CoherenceReport, Subsystem } from "../../../lib/mind/wire.ts";
import { duration, percent, signed, when } from "../format.ts";

type History = CoherenceReport["history"];

const W = 640;
const H = 160;
const PAD = 28;

export function Chart(props: { history: History }) {
  const pts = props.history.filter((h) => h.C !== null);
  if (pts.length === 0) return <p class="mute">No signal yet: C appears once work completes or fails in the window.</p>;
  const t0 = pts[0]!.at;
  const t1 = pts[pts.length - 1]!.at;
  const span = Math.max(1, t1 - t0);
  const x = (at: number) => PAD + ((at - t0) / span) * (W - 2 * PAD);
  const y = (c: number) => H - PAD + -c * (H - 2 * PAD);
  const points = pts.map((p) => `${x(p.at).toFixed(1)},${y(p.C!).toFixed(1)}`).join(" ");
  const last = pts[pts.length - 1]!;
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`C over time: ${pts.length} cycles, last ${percent(last.C)}`}>
        <line class="grid" x1={PAD} x2={W - PAD} y1={y(0)} y2={y(0)} />
        <line class="grid" x1={PAD} x2={W - PAD} y1={y(1)} y2={y(1)} />
        <line class="grid" x1={PAD} x2={W - PAD} y1={y(0.5)} y2={y(0.5)} />
        <text x={2} y={y(1) + 4}>1</text>
        <text x={2} y={y(0) + 4}>0</text>
        <text x={PAD} y={H - 6}>{when(t0)}</text>
        <text x={W - PAD} y={H - 6} text-anchor="end">
          {when(t1)}
        </text>
        {pts.length === 1 ? <circle cx={x(last.at)} cy={y(last.C!)} r={3} class="line" /> : <polyline class="line" points={points} />}
      </svg>
      <figcaption class="mute">C (completion ratio, fast EWMA) per mind cycle, newest right.</figcaption>
    </figure>
  );
}

function since(s: Subsystem): number | null {
  return s.stalledSince ?? s.failingSince ?? s.missedSince;
}

export function PulsePage(props: { report: CoherenceReport }) {
  const { pulse, history } = props.report;
  const flagged = props.report.flagged;
  return (
    <>
      <div class="stats">
        <div class="stat">
          C<b>{percent(pulse.C)}</b>
        </div>
        <div class="stat">
          regime<b class={pulse.regime === "flow" ? "ok" : "bad"}>{pulse.regime}</b>
        </div>
        <div class="stat">
          drift<b>{signed(pulse.drift)}</b>
        </div>
        <div class="stat">
          backlog<b>{pulse.backlog}</b>
        </div>
        <div class="stat">
          mode<b>{props.report.mode}</b>
        </div>
      </div>
      {props.report.watch.late ? <p class="note bad">The mind is late: {props.report.watch.reason} (by {duration(props.report.watch.lateByMs)}).</p> : null}
      <Chart history={history} />
      <h2>Stalled, failing and missed subsystems</h2>
      {flagged.length === 0 ? (
        <p class="ok">None flagged.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">subsystem</th>
              <th scope="col">flags</th>
              <th scope="col">since</th>
              <th scope="col">last progress</th>
              <th scope="col">typical pace</th>
              <th scope="col">open</th>
            </tr>
          </thead>
          <tbody>
            {flagged.map((s) => (
              <tr>
                <td>
                  {s.kind}:{s.name}
                </td>
                <td class="bad">{s.flags.join(", ")}</td>
                <td>{when(since(s))}</td>
                <td>{when(s.lastProgressAt)}</td>
                <td>
                  {duration(s.pace.ms)} <span class="mute">({s.pace.basis})</span>
                </td>
                <td class="n">{s.open}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="mute">
        Window: {duration(pulse.window.ms)} · done {pulse.window.done} · failed {pulse.window.failed} · expired {pulse.window.expired} · {props.report.subsystems.length} subsystems
      </p>
    </>
  );
}

// When a resting workerd runs at all. workerd sweeps its table of each Durable Object class every
// 70 s while the table holds objects: an object unused for 70 s leaves it (measured with workerd
// 1.20261102: a few ms of CPU per sweep, freeing memory). So what a request set in motion ends only
// when every object it used has left: an object sleeps 10 s after its last use, and leaves the table
// at the first sweep more than 70 s after it — at the latest 140 s after the last request. After
// that a resting workerd has nothing scheduled: the window for "does nothing" starts there.
import { readdirSync, readFileSync } from "node:fs";

/** workerd's sweep period (its actor namespace's cleanup loop: 70 s). */
export const SWEEP_MS = 70_000;

/** Context switches of every thread of a process: it ran at all, however briefly, since. */
export function switchesOf(pid: number): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return n;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until what the last request (at `lastUseAt`) set in motion in workerd (pid) has run: two
 * sweep periods after it, then until workerd has been quiet for `quietMs`. Throws with what it saw
 * if workerd never gets quiet within `maxMs` more (a seed that keeps waking never does).
 */
export async function afterWorkerdFollowUps(pid: number, lastUseAt: number, opts: { quietMs?: number; maxMs?: number } = {}): Promise<void> {
  const quietMs = opts.quietMs ?? 2000;
  const settleFrom = lastUseAt + 2 * SWEEP_MS + 1000;
  await pause(Math.max(0, settleFrom - Date.now()));
  const deadline = Date.now() + (opts.maxMs ?? 30_000);
  let last = switchesOf(pid);
  let movedAt = Date.now();
  for (;;) {
    await pause(100);
    const s = switchesOf(pid);
    if (s !== last) movedAt = Date.now();
    last = s;
    if (Date.now() - movedAt >= quietMs) return;
    if (Date.now() > deadline) throw new Error(`workerd never quiet for ${quietMs} ms, ${Math.round((Date.now() - lastUseAt) / 1000)} s after the last request`);
  }
}

/** Watches a process for `ms`: when it ran (offset in ms from the start → context switches). */
export async function watchRuns(pid: number, ms: number): Promise<{ switches: number; runs: [number, number][] }> {
  const start = Date.now();
  const first = switchesOf(pid);
  let last = first;
  const runs: [number, number][] = [];
  while (Date.now() - start < ms) {
    await pause(Math.min(200, Math.max(1, ms - (Date.now() - start))));
    const s = switchesOf(pid);
    if (s !== last) runs.push([Date.now() - start, s - last]);
    last = s;
  }
  return { switches: last - first, runs };
}

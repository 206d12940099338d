// What a process did over a period, from /proc (Linux): CPU ticks (user + system, all threads),
// write syscalls (any: files, sockets, the runtime's own event signals) and bytes it sent to
// storage. For the "a resting seed does nothing" checks against real processes.
import { readFileSync } from "node:fs";

export type Usage = { ticks: number; writes: number; bytesWritten: number; storageBytes: number };

export function usageOf(pid: number): Usage {
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const io = Object.fromEntries(
    readFileSync(`/proc/${pid}/io`, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(": ") as [string, string]),
  );
  return { ticks: Number(fields[11]) + Number(fields[12]), writes: Number(io.syscw), bytesWritten: Number(io.wchar), storageBytes: Number(io.write_bytes) };
}

export function usageSince(pid: number, before: Usage): Usage {
  const now = usageOf(pid);
  return { ticks: now.ticks - before.ticks, writes: now.writes - before.writes, bytesWritten: now.bytesWritten - before.bytesWritten, storageBytes: now.storageBytes - before.storageBytes };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the processes have been quiet (no CPU tick, nothing sent to storage) for `quietMs`
 * in a row: what a request set in motion (a lease ending, a WAL checkpoint) has run by then. A
 * runtime signalling its own threads (8-byte eventfd writes, no CPU to speak of) does not count.
 * Throws with what they did when they never settle within `maxMs` (a spinning process never does).
 */
export async function settle(pids: Record<string, number>, opts: { quietMs: number; maxMs: number; stepMs?: number }): Promise<void> {
  const step = opts.stepMs ?? 250;
  const started = Date.now();
  let quietSince = Date.now();
  let last = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, usageOf(pid)]));
  const busy: Record<string, Usage> = {};
  for (;;) {
    await pause(step);
    let moved = false;
    for (const k of Object.keys(pids)) {
      const d = usageSince(pids[k]!, last[k]!);
      if (d.ticks > 0 || d.storageBytes > 0) {
        moved = true;
        const b = (busy[k] ??= { ticks: 0, writes: 0, bytesWritten: 0, storageBytes: 0 });
        b.ticks += d.ticks;
        b.writes += d.writes;
        b.bytesWritten += d.bytesWritten;
        b.storageBytes += d.storageBytes;
      }
    }
    last = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, usageOf(pid)]));
    if (moved) quietSince = Date.now();
    else if (Date.now() - quietSince >= opts.quietMs) return;
    if (Date.now() - started > opts.maxMs) throw new Error(`never quiet for ${opts.quietMs} ms within ${opts.maxMs} ms: ${JSON.stringify(busy)}`);
  }
}

// What a process did over a period, from /proc (Linux): CPU ticks (user + system, all threads)
// and write syscalls. For the "a resting seed does nothing" checks against real processes.
import { readFileSync } from "node:fs";

export type Usage = { ticks: number; writes: number; bytesWritten: number };

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
  return { ticks: Number(fields[11]) + Number(fields[12]), writes: Number(io.syscw), bytesWritten: Number(io.wchar) };
}

export function usageSince(pid: number, before: Usage): Usage {
  const now = usageOf(pid);
  return { ticks: now.ticks - before.ticks, writes: now.writes - before.writes, bytesWritten: now.bytesWritten - before.bytesWritten };
}

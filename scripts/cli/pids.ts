// PID files under SEED_HOME/run and whether the process they name is still the one that wrote
// them (a PID can be reused after a reboot or a long uptime: a process that started after its
// PID file was written is somebody else).
import { existsSync, readFileSync, statSync } from "node:fs";

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}

export function readPid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** When the process started (ms since the epoch), from /proc; null when unknown. */
export function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime, clock ticks after boot) counted after the ")" that closes the name.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The live process a PID file names, or null (no file, dead, or a later process with that PID). */
export function livePid(file: string): number | null {
  const pid = readPid(file);
  if (pid === null || !isAlive(pid)) return null;
  const started = processStartMs(pid);
  // Started more than 2 s after the file was written: not the process that wrote it.
  if (started !== null && started > statSync(file).mtimeMs + 2_000) return null;
  return pid;
}

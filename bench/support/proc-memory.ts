// Memory of the seed's processes, read from /proc: each one's RSS and unique set size, and what
// the seed costs the box as a whole — every physical page mapped by any of its processes, counted
// once (the node binary both Node processes map is one set of pages, not two).
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

const PAGE = 4096;

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Unique set size: the pages only this process maps (its heap, its own code) — beside the RSS,
 *  which also counts what it shares (the node binary both Node processes map, counted twice). */
export function ussMiB(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
  return (kb("Private_Clean") + kb("Private_Dirty")) / 1024;
}

/**
 * The distinct physical pages resident in any of `pids` (MiB): the frame numbers of
 * /proc/PID/pagemap over every mapping that has resident pages. Frame numbers are readable with
 * CAP_SYS_ADMIN only (they read as 0 otherwise): then null.
 */
export function unionMiB(pids: number[]): number | null {
  const frames = new Set<number>();
  for (const pid of pids) {
    const ranges: [bigint, bigint][] = [];
    let current: [bigint, bigint] | null = null;
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
      if (range) current = [BigInt(`0x${range[1]}`), BigInt(`0x${range[2]}`)];
      else if (current && /^Rss:\s+[1-9]/.test(line)) ranges.push(current);
    }
    const fd = openSync(`/proc/${pid}/pagemap`, "r");
    try {
      for (const [start, end] of ranges) {
        const pages = Number((end - start) / BigInt(PAGE));
        const buf = Buffer.alloc(pages * 8);
        readSync(fd, buf, 0, buf.length, Number((start / BigInt(PAGE)) * 8n));
        for (let i = 0; i < pages; i++) {
          // Bit 63: present; bits 0-54: the frame number (below 2^53 on any real machine).
          const high = buf.readUInt32LE(i * 8 + 4);
          if (!(high & 0x8000_0000)) continue; // not present (swapped out or never touched)
          const frame = (high & 0x7f_ffff) * 2 ** 32 + buf.readUInt32LE(i * 8);
          if (frame === 0) return null;
          frames.add(frame);
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return (frames.size * PAGE) / 1024 / 1024;
}

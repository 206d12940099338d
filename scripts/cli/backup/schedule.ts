// The backup schedule (SEED_HOME/backup.json) and the record of the last backup
// (SEED_HOME/backups/last.json): small and dependency-free, so `seed status` and `seed up` read
// them without loading the archive code.
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { writePrivateFile } from "../fs-secure.ts";

export type Schedule = { every: "hourly" | "daily" | "weekly"; keep: number; dir: string; recipients: string[] };
export type LastBackup = { at: string; file: string; bytes: number; scheduled: boolean };

export const EVERY_MS = { hourly: 3_600_000, daily: 86_400_000, weekly: 7 * 86_400_000 } as const;
export const backupDir = (homeDir: string) => path.join(homeDir, "backups");
export const scheduleFile = (homeDir: string) => path.join(homeDir, "backup.json");
export const lastFile = (homeDir: string) => path.join(backupDir(homeDir), "last.json");

export function readSchedule(homeDir: string): Schedule | null {
  return existsSync(scheduleFile(homeDir)) ? (JSON.parse(readFileSync(scheduleFile(homeDir), "utf8")) as Schedule) : null;
}

export function readLastBackup(homeDir: string): LastBackup | null {
  return existsSync(lastFile(homeDir)) ? (JSON.parse(readFileSync(lastFile(homeDir), "utf8")) as LastBackup) : null;
}

export function checkRecipient(r: string): string {
  if (!/^age1[02-9ac-hj-np-z]{58}$/.test(r)) throw new Error(`not an age X25519 recipient (age1…): ${r.slice(0, 12)}…`);
  return r;
}

export function setSchedule(homeDir: string, s: Schedule | null): void {
  if (s === null) return rmSync(scheduleFile(homeDir), { force: true });
  writePrivateFile(scheduleFile(homeDir), JSON.stringify(s, null, 2) + "\n");
}

/** When the next scheduled backup is due (ms since the epoch), or null when none is scheduled. */
export function nextDue(homeDir: string): number | null {
  const s = readSchedule(homeDir);
  if (!s) return null;
  const last = readLastBackup(homeDir);
  return last ? Date.parse(last.at) + EVERY_MS[s.every] : 0;
}

export type Freshness = { schedule: Schedule | null; last: LastBackup | null; ageMs: number | null; stale: boolean; summary: string };

export function backupFreshness(homeDir: string, now = Date.now()): Freshness {
  const schedule = readSchedule(homeDir);
  const last = readLastBackup(homeDir);
  const ageMs = last ? now - Date.parse(last.at) : null;
  const stale = schedule ? ageMs === null || ageMs > 2 * EVERY_MS[schedule.every] : false;
  const ago = ageMs === null ? "never" : ageMs < 3_600_000 ? `${Math.round(ageMs / 60_000)} min ago` : ageMs < 172_800_000 ? `${Math.round(ageMs / 3_600_000)} h ago` : `${Math.round(ageMs / 86_400_000)} days ago`;
  const summary = `${last ? `last ${last.at} (${ago})` : "never backed up"}${schedule ? `; scheduled ${schedule.every}, keep ${schedule.keep}` : "; no schedule"}${stale ? " — STALE" : ""}`;
  return { schedule, last, ageMs, stale, summary };
}


// Files under SEED_HOME are 0600 and folders 0700, whatever the umask says.
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  ENOENT: "this file system does not allow a folder there (ENOENT)",
  ENOTDIR: "a parent is not a folder",
};

/**
 * Creates `dir` (and missing parents) 0700. One level at a time, not `recursive: true`: Node's
 * recursive mkdir loops forever on some errors (e.g. under /proc, where mkdir says ENOENT for a
 * parent that exists), so `seed init --home /proc/x` spun at 100% CPU.
 */
export function ensureDir(dir: string): boolean {
  const created = !existsSync(dir);
  if (created) {
    const parent = path.dirname(dir);
    if (parent !== dir && !existsSync(parent)) ensureDir(parent);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== "EEXIST") throw new Error(`cannot create ${dir}: ${WHY[e.code ?? ""] ?? e.message}`);
    }
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  // A shared folder (/tmp: sticky, world-writable) is never made private: it is not the seed's own.
  if (!created && (st.mode & 0o1002) !== 0) throw new Error(`${dir} is a shared folder (mode ${(st.mode & 0o7777).toString(8)}): give the seed a folder of its own`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return created;
}

/**
 * Creates the missing levels of `dir` (0700) but never changes a folder that exists: for places the
 * seed does not own (/tmp, a backup folder the owner chose, the parent of a new home).
 */
export function ensureFolderExists(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a folder`);
    return;
  }
  ensureDir(dir);
}

/** Writes a new secret file; refuses to replace one that exists (flag `wx`). */
export function writeSecretFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
}

/** Replaces a secret file all at once (a reader sees the old or the new one, never half): 0600. */
export function replaceSecretFile(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  writeSecretFile(tmp, data);
  sameOwnerAs(tmp, file);
  renameSync(tmp, file);
}

/**
 * Gives `file` the owner of `like` when root writes it: under systemd the seed's user must still
 * read a secret root replaced (`sudo seed handoff`).
 */
export function sameOwnerAs(file: string, like: string): void {
  if (process.getuid?.() !== 0 || !existsSync(like)) return;
  const st = statSync(like);
  chownSync(file, st.uid, st.gid);
}

export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

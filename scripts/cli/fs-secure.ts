// Files under SEED_HOME are 0600 and folders 0700, whatever the umask says.
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";

export function ensureDir(dir: string): boolean {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return created;
}

/** Writes a new secret file; refuses to replace one that exists (flag `wx`). */
export function writeSecretFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
}

export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}

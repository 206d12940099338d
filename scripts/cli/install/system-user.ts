// The seed's dedicated system user: no login shell, no home of its own but SEED_HOME.
import { spawnSync } from "node:child_process";

export type SystemUser = { name: string; uid: number; gid: number };

export function lookupUser(name: string): SystemUser | null {
  const r = spawnSync("getent", ["passwd", name], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const f = r.stdout.trim().split(":");
  return { name, uid: Number(f[2]), gid: Number(f[3]) };
}

export function checkUserName(name: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(name)) throw new Error(`--user must be a system user name ([a-z_][a-z0-9_-]*, ≤ 31 characters), got ${JSON.stringify(name)}`);
  return name;
}

export function ensureUser(name: string, home: string): { user: SystemUser; created: boolean } {
  const found = lookupUser(name);
  if (found) return { user: found, created: false };
  const r = spawnSync("useradd", ["--system", "--user-group", "--home-dir", home, "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "seed organism", name], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`useradd ${name} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return { user: lookupUser(name)!, created: true };
}

export function removeUser(name: string): boolean {
  if (!lookupUser(name)) return false;
  const r = spawnSync("userdel", [name], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`userdel ${name} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return true;
}

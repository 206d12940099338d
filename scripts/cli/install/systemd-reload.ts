// Fresh secrets for an installed seed (after `seed handoff`'s db-token or master-key rotation):
// workerd's EnvironmentFile rewritten from the files, the libSQL server told to re-read its token
// (ExecReload = SIGHUP), then workerd restarted so it reads the new environment.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { writePrivateFile } from "../fs-secure.ts";
import { homePaths } from "../home.ts";
import { workerdSecretEnv } from "../workerd-env.ts";
import { readInstallRecord } from "./seed-install.ts";
import { UNIT_NAMES } from "./units.ts";

/** False when the seed is not installed under systemd (then `seed up`'s own reload applies). */
export function reloadInstalled(homeDir: string): boolean {
  if (!readInstallRecord(homeDir)) return false;
  const home = homePaths(homeDir);
  const env = Object.entries(workerdSecretEnv(home)).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
  writePrivateFile(path.join(home.runDir, "workerd.env"), env);
  for (const args of [["reload", UNIT_NAMES.libsql], ["restart", UNIT_NAMES.workerd]]) {
    const r = spawnSync("systemctl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`systemctl ${args.join(" ")} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  }
  return true;
}

// `seed upgrade`, run from the NEWER checkout: backup first, stop the seed, apply the libSQL
// migrations, start it with the new code (each Durable Object migrates its own schema on its
// first start) and wait until it answers ready as itself — and if anything fails, put the home
// back exactly as the backup holds it. `--dry-run` lists what would run.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { VERSION } from "../../../lib/version.ts";
import type { Opening, Sealing } from "../backup/archive.ts";
import { readSchedule } from "../backup/schedule.ts";
import { backupKeygen, createBackup, readIdentityFile, restoreBackup } from "../backup/seed-backup.ts";
import { ensureDir } from "../fs-secure.ts";
import { homePaths, type Ports } from "../home.ts";
import { readInstallRecord } from "../install/seed-install.ts";
import { applyMigrations, MIGRATIONS, withFileDb } from "../migrate.ts";
import { livePid } from "../pids.ts";
import { sql } from "drizzle-orm";

export type UpgradeReport = {
  dryRun: boolean;
  home: string;
  to: string;
  from: string | null;
  running: "seed up" | "systemd" | "no";
  pendingMigrations: string[];
  steps: string[];
  backup?: string;
  ok: boolean;
  rolledBack?: boolean;
  error?: string;
};

/** The libSQL migrations of this checkout the database has not applied yet (drizzle's journal order). */
export async function pendingMigrations(dbPath: string): Promise<string[]> {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS, "meta", "_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
  const last = await withFileDb(dbPath, async (db) => {
    const t = await db.get<{ n: number }>(sql`select count(*) as n from sqlite_master where name = '__drizzle_migrations'`);
    if (!t || t.n === 0) return 0;
    return (await db.get<{ m: number | null }>(sql`select max(created_at) as m from __drizzle_migrations`))?.m ?? 0;
  });
  return journal.entries.filter((e) => e.when > last).map((e) => e.tag);
}

async function waitGone(file: string, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(100)) if (livePid(file) === null) return true;
  return false;
}

/** A trial `seed up` from this checkout: resolves when it answers ready as itself, rejects when it exits first. */
function trialStart(homeDir: string, ports: Ports): Promise<{ stop: () => Promise<void>; output: () => string }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, path.join(import.meta.dirname, "..", "main.ts"), "up", "--home", homeDir, "--port", String(ports.port), "--db-port", String(ports.dbPort), "--listen", ports.listen],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SEED_DB_LISTEN: ports.dbListen } },
  );
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/"event":"up"/.test(out)) {
        resolve({
          output: () => out,
          stop: async () => {
            if (child.exitCode !== null) return;
            const gone = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await gone;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the new version did not come up (exit ${code}): ${out.trim().split("\n").slice(-3).join(" | ")}`)));
  });
}

export type UpgradeOptions = { home: string; ports: Ports; dryRun: boolean; sealing?: Sealing };

export async function seedUpgrade(o: UpgradeOptions): Promise<UpgradeReport> {
  const home = homePaths(o.home);
  if (!existsSync(home.identityPub) || !existsSync(home.db)) throw new Error(`${home.dir} is not an initialised seed`);
  const installed = readInstallRecord(home.dir);
  const supervisor = livePid(home.pid("seed"));
  const running = supervisor !== null ? "seed up" : installed && livePid(home.pid("workerd")) !== null ? "systemd" : "no";
  if (running === "systemd") throw new Error("this seed runs under systemd: upgrade it with `seed install` from the new checkout after `seed backup` (stop, install, start) — automatic upgrade of installed seeds is not supported yet");
  const state = existsSync(home.state) ? (JSON.parse(readFileSync(home.state, "utf8")) as { version?: string }) : null;
  const pending = await pendingMigrations(home.db);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const backupFile = path.join(home.dir, "backups", `pre-upgrade-${stamp}.age`);
  const steps = [
    `back up ${home.dir} to ${backupFile}`,
    ...(running === "seed up" ? [`stop the running seed (pid ${supervisor})`] : []),
    pending.length ? `apply ${pending.length} libSQL migration(s): ${pending.join(", ")}` : "no libSQL migration to apply",
    "start the new version once (each Durable Object applies its own schema migrations on its first start) and wait until it answers ready as itself, then stop it",
    "on any failure: restore the backup into the home (the failed one is kept beside it) and report",
  ];
  const base = { home: home.dir, to: VERSION, from: state?.version ?? null, running, pendingMigrations: pending, steps } as const;
  if (o.dryRun) return { dryRun: true, ...base, ok: true };

  // The safety copy: sealed like the owner's backups; else with a one-time key kept beside it (same
  // folder and permissions as the keys it protects — it is a rollback point, not an off-box copy).
  let sealing = o.sealing ?? (readSchedule(home.dir) ? { recipients: readSchedule(home.dir)!.recipients } : undefined);
  let opening: Opening | undefined;
  ensureDir(path.join(home.dir, "backups"));
  if (!sealing) {
    const keyFile = backupFile.replace(/\.age$/, ".key");
    sealing = { recipients: [await backupKeygen(keyFile)] };
    opening = { identities: readIdentityFile(keyFile) };
  }
  await createBackup(home.dir, sealing);
  // createBackup names its own file; take the newest record as the rollback point.
  const taken = (JSON.parse(readFileSync(path.join(home.dir, "backups", "last.json"), "utf8")) as { file: string }).file;
  renameSync(taken, backupFile);

  if (running === "seed up") {
    process.kill(supervisor!, "SIGTERM");
    if (!(await waitGone(home.pid("seed"), 60_000))) throw new Error(`the running seed (pid ${supervisor}) did not stop within 60 s: nothing was changed but the backup ${backupFile}`);
  }
  try {
    await applyMigrations(home.db);
    const trial = await trialStart(home.dir, o.ports);
    await trial.stop();
    return { dryRun: false, ...base, backup: backupFile, ok: true };
  } catch (err) {
    const failed = `${home.dir}.failed-${stamp}`;
    renameSync(home.dir, failed);
    if (!opening && "passphrase" in sealing) opening = { passphrase: sealing.passphrase };
    const inFailed = path.join(failed, "backups", path.basename(backupFile));
    if (!opening) throw new Error(`upgrade failed (${(err as Error).message}) and the home was moved to ${failed}; restore it with your key: seed restore "${inFailed}" --home "${home.dir}" --identity KEY`);
    await restoreBackup(path.join(failed, "backups", path.basename(backupFile)), home.dir, opening);
    renameSync(path.join(failed, "backups"), path.join(home.dir, "backups")); // the backups stay with the organism
    return { dryRun: false, ...base, backup: backupFile, ok: false, rolledBack: true, error: `${(err as Error).message}; the home was restored from ${backupFile} (the failed one is at ${failed})` };
  }
}

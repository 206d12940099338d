// `seed backup`, `seed backup verify`, `seed restore`, `seed backup schedule`: the whole organism
// in one encrypted file, taken while it serves, and brought back identical elsewhere.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { VERSION } from "../../../lib/version.ts";
import { formatVerification, verifyLedger } from "../audit-verify.ts";
import { ensureDir, ensureFolderExists, writePrivateFile, writeSecretFile } from "../fs-secure.ts";
import { homePaths } from "../home.ts";
import { readIdentity } from "../identity.ts";
import { backupDir, lastFile, nextDue, readSchedule, type LastBackup } from "./schedule.ts";

export { backupDir, backupFreshness, checkRecipient, readSchedule, setSchedule } from "./schedule.ts";
import { readArchive, writeArchive, type Manifest, type Opening, type Sealing } from "./archive.ts";
import { checkDatabases, snapshotHome } from "./snapshot.ts";

const BACKUP_NAME = /^seed-[a-z0-9-]+-\d{8}T\d{6}Z\.age$/;

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export type BackupResult = { file: string; bytes: number; seedId: string; ms: number };

/** Takes a backup of `homeDir` (running or not) into `out` (default: SEED_HOME/backups/seed-<id>-<time>.age). */
export async function createBackup(homeDir: string, sealing: Sealing, out?: string, scheduled = false, clock = Date.now): Promise<BackupResult> {
  const t0 = Date.now();
  const home = homePaths(homeDir);
  const id = readIdentity(home);
  if (!id || !existsSync(home.db)) throw new Error(`${homeDir} is not an initialised seed`);
  ensureDir(backupDir(homeDir));
  const now = new Date(clock());
  const file = path.resolve(out ?? path.join(backupDir(homeDir), `${id.seedId}-${stamp(now)}.age`.replace(/^seed-seed-/, "seed-")));
  if (existsSync(file)) throw new Error(`${file} exists: a backup never overwrites a file`);
  const stage = mkdtempSync(path.join(backupDir(homeDir), ".stage-"));
  const partial = `${file}.partial-${randomBytes(4).toString("hex")}`;
  try {
    const files = await snapshotHome(homeDir, stage);
    const manifest: Manifest = { format: "seed-backup", formatVersion: 1, seedVersion: VERSION, seedId: id.seedId, createdAt: now.toISOString(), files };
    await writeArchive(stage, manifest, partial, sealing);
    renameSync(partial, file);
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  const bytes = statSync(file).size;
  writePrivateFile(lastFile(homeDir), JSON.stringify({ at: now.toISOString(), file, bytes, scheduled } satisfies LastBackup, null, 2) + "\n");
  return { file, bytes, seedId: id.seedId, ms: Date.now() - t0 };
}

export type VerifyReport = { ok: boolean; file: string; seedId: string; seedVersion: string; createdAt: string; files: number; bytes: number; problems: string[] };

/** Opens a backup in a private temporary folder, checks every file, database and the audit chain. */
export async function verifyBackup(file: string, opening: Opening, scratchParent: string): Promise<VerifyReport> {
  ensureFolderExists(scratchParent); // e.g. /tmp: never chmod a folder the seed does not own
  const dir = mkdtempSync(path.join(scratchParent, ".verify-"));
  try {
    const m = await readArchive(file, dir, opening);
    return { file, ...(await inspect(dir, m)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inspect(dir: string, m: Manifest): Promise<Omit<VerifyReport, "file">> {
  const problems = checkDatabases(dir, m.files);
  const home = homePaths(dir);
  const id = existsSync(home.identityPub) ? readIdentity(home) : null;
  if (!id) problems.push("no identity in the backup");
  else if (id.seedId !== m.seedId) problems.push(`the identity is ${id.seedId}, the manifest says ${m.seedId}`);
  for (const need of ["master.key", "identity/seed.key", "keys/db.token", "db/seed.db"]) {
    if (!m.files.some((f) => f.path === need)) problems.push(`${need} is missing`);
  }
  if (problems.length === 0) {
    const chain = await verifyLedger(home);
    if (!chain.ok) problems.push(formatVerification(chain).replace(/\n/g, "; "));
  }
  return {
    ok: problems.length === 0, seedId: m.seedId, seedVersion: m.seedVersion, createdAt: m.createdAt, files: m.files.length,
    bytes: m.files.reduce((n, f) => n + f.bytes, 0), problems,
  };
}

/** Brings a backup back as SEED_HOME `homeDir`, which must not hold a seed yet. */
export async function restoreBackup(file: string, homeDir: string, opening: Opening): Promise<VerifyReport> {
  const home = homePaths(homeDir);
  if (existsSync(home.identityPub) || existsSync(home.db) || existsSync(home.masterKey)) {
    throw new Error(`${homeDir} already holds a seed: restore into a new folder (a restore never overwrites an organism)`);
  }
  if (existsSync(homeDir) && readdirSync(homeDir).length > 0) throw new Error(`${homeDir} is not empty: restore into a new or empty folder`);
  const parent = path.dirname(path.resolve(homeDir));
  ensureFolderExists(parent);
  const stage = mkdtempSync(path.join(parent, `.${path.basename(homeDir)}.restore-`));
  try {
    const m = await readArchive(file, stage, opening);
    const report = await inspect(stage, m);
    if (!report.ok) throw new Error(`the backup does not verify: ${report.problems.join("; ")}`);
    for (const d of ["db", "do", "run", "keys", "identity"]) ensureDir(path.join(stage, d));
    if (existsSync(homeDir)) rmSync(homeDir, { recursive: true });
    renameSync(stage, homeDir);
    return { file, ...report };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A new age X25519 key pair: the identity (secret) into `out` 0600, the recipient returned. */
export async function backupKeygen(out: string): Promise<string> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  writeSecretFile(out, `# seed backup key, created ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`);
  return recipient;
}

export function readIdentityFile(file: string): string[] {
  const ids = readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (ids.length === 0) throw new Error(`${file} holds no age identity (AGE-SECRET-KEY-…)`);
  return ids;
}

/** The scheduled run: a backup if one is due, then only the `keep` newest backups stay. */
export async function runScheduled(homeDir: string, now = Date.now()): Promise<BackupResult | null> {
  const s = readSchedule(homeDir);
  const due = nextDue(homeDir);
  if (!s || due === null || due > now) return null;
  ensureFolderExists(s.dir);
  const id = readIdentity(homePaths(homeDir));
  const out = path.join(s.dir, `${id!.seedId}-${stamp(new Date(now))}.age`.replace(/^seed-seed-/, "seed-"));
  const r = await createBackup(homeDir, { recipients: s.recipients }, out, true, () => now);
  const ours = readdirSync(s.dir).filter((f) => BACKUP_NAME.test(f)).sort();
  for (const old of ours.slice(0, Math.max(0, ours.length - s.keep))) rmSync(path.join(s.dir, old), { force: true });
  return r;
}

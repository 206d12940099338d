// A consistent copy of SEED_HOME while the seed serves: every SQLite database (libSQL's and each
// Durable Object's, all in WAL mode) copied with its WAL while this process holds a read
// transaction on it — writers never wait, and no checkpoint can move past that snapshot or restart
// the WAL meanwhile — then the copy is checkpointed into one file. (Not `VACUUM INTO`: it rebuilds
// libSQL's vector index and leaves its shadow table failing integrity_check, libsql 0.5.29.)
// Every other file is copied as it is. What is generated or disposable (run/, logs/, backups/,
// WAL and shm files, install.json) stays out.
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import Database from "libsql";

export type ManifestFile = { path: string; bytes: number; sha256: string };

const SKIP_TOP = new Set(["run", "logs", "backups", "install.json"]);
const SQLITE = /\.(db|sqlite)$/;
const SIDECAR = /-(wal|shm|journal)$/;

/** Relative paths (with "/") of what a backup holds, in a stable order. */
export function backupSources(homeDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(homeDir, rel);
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const e of readdirSync(abs).sort()) walk(rel ? `${rel}/${e}` : e);
    } else if (st.isFile() && !SIDECAR.test(rel)) {
      out.push(rel);
    }
  };
  for (const e of readdirSync(homeDir).sort()) if (!SKIP_TOP.has(e) && !e.startsWith(".")) walk(e);
  return out;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

export function snapshotDatabase(src: string, dst: string): void {
  const db = new Database(src, { readonly: true });
  try {
    db.exec("BEGIN");
    db.prepare("SELECT count(*) FROM sqlite_master").get(); // takes the read lock: the snapshot is pinned
    copyFileSync(src, dst);
    if (existsSync(`${src}-wal`)) copyFileSync(`${src}-wal`, `${dst}-wal`);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
  // Recovery keeps the committed frames of the copied WAL (a torn tail fails its checksum); the
  // checkpoint folds them into the one file the archive holds.
  const copy = new Database(dst);
  try {
    copy.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    copy.close();
  }
  for (const side of ["-wal", "-shm"]) rmSync(`${dst}${side}`, { force: true });
}

/** Copies the sources of `homeDir` into `stageDir` (databases through VACUUM INTO); returns the manifest entries. */
export async function snapshotHome(homeDir: string, stageDir: string): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  const sources = backupSources(homeDir);
  // The Durable Objects' databases first: the audit ledger moves rows from its object's database
  // to libSQL's (durable/audit/audit-ledger.ts), so a row moved meanwhile is in the later libSQL
  // copy (perhaps in both, which the ledger reconciles), never in neither.
  const objectsFirst = [...sources.filter((rel) => rel.startsWith("do/")), ...sources.filter((rel) => !rel.startsWith("do/"))];
  for (const rel of objectsFirst) {
    const src = path.join(homeDir, rel);
    const dst = path.join(stageDir, rel);
    mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
    if (SQLITE.test(rel)) {
      snapshotDatabase(src, dst);
    } else {
      copyFileSync(src, dst);
    }
    files.push({ path: rel, bytes: statSync(dst).size, sha256: await sha256File(dst) });
  }
  return files.sort((a, b) => sources.indexOf(a.path) - sources.indexOf(b.path));
}

/** `PRAGMA integrity_check` of every database in an extracted backup; the problems found. */
export function checkDatabases(dir: string, files: ManifestFile[]): string[] {
  const problems: string[] = [];
  for (const f of files.filter((f) => SQLITE.test(f.path))) {
    const file = path.join(dir, f.path);
    if (!existsSync(file)) continue;
    const db = new Database(file, { readonly: true });
    try {
      const r = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
      if (r.length !== 1 || r[0]!.integrity_check !== "ok") problems.push(`${f.path}: ${r.map((x) => x.integrity_check).join("; ")}`);
    } catch (err) {
      problems.push(`${f.path}: ${(err as Error).message}`);
    } finally {
      db.close();
    }
  }
  return problems;
}

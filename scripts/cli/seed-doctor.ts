// `seed doctor`: everything an owner would check by hand on a server, each with a fix. Exit 1 when
// any check fails (warnings do not fail).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, statfsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import Database from "libsql";
import { verifyLedger } from "./audit-verify.ts";
import { backupFreshness } from "./backup/schedule.ts";
import { homePaths } from "./home.ts";
import { readServices } from "./services.ts";
import { seedStatus } from "./seed-status.ts";
import { SETPRIV } from "./supervisor.ts";
import { WORKERD_BIN } from "./workerd-bin.ts";

export type Check = { name: string; level: "ok" | "warn" | "fail"; detail: string; fix?: string };

const MIN_FREE_BYTES = 1024 ** 3;

function nodeCheck(): Check {
  const [maj, min] = process.versions.node.split(".").map(Number) as [number, number];
  const ok = maj > 22 || (maj === 22 && min >= 12);
  return { name: "node", level: ok ? "ok" : "fail", detail: `Node ${process.version}`, ...(ok ? {} : { fix: "run through scripts/seed, which brings Node 22" }) };
}

function workerdCheck(): Check {
  const r = spawnSync(WORKERD_BIN, ["--version"], { encoding: "utf8" });
  return r.status === 0
    ? { name: "workerd", level: "ok", detail: r.stdout.trim() }
    : { name: "workerd", level: "fail", detail: `${WORKERD_BIN} does not run: ${(r.stderr || r.error?.message || "").trim()}`, fix: "reinstall the packages: rm -rf node_modules && scripts/seed --version" };
}

function setprivCheck(): Check {
  return SETPRIV
    ? { name: "setpriv", level: "ok", detail: `${SETPRIV}: children of \`seed up\` die with it` }
    : { name: "setpriv", level: "warn", detail: "util-linux setpriv is missing: a kill -9 of `seed up` would leave workerd and the libSQL server running", fix: "apt-get install util-linux" };
}

function modesCheck(dir: string): Check {
  const bad: string[] = [];
  const uid = process.getuid?.();
  const walk = (p: string) => {
    const st = statSync(p);
    if (uid !== undefined && st.uid !== uid && uid !== 0) bad.push(`${p} belongs to uid ${st.uid}`);
    if (st.isDirectory()) {
      if ((st.mode & 0o077) !== 0) bad.push(`${p} is ${(st.mode & 0o777).toString(8)} (want 700)`);
      if (!p.includes(`${path.sep}bundle`)) for (const e of readdirSync(p)) walk(path.join(p, e));
    } else if ((st.mode & 0o077) !== 0) {
      bad.push(`${p} is ${(st.mode & 0o777).toString(8)} (want 600)`);
    }
  };
  walk(dir);
  return bad.length === 0
    ? { name: "permissions", level: "ok", detail: "folders 0700, files 0600" }
    : { name: "permissions", level: "fail", detail: bad.slice(0, 5).join("; ") + (bad.length > 5 ? ` (+${bad.length - 5} more)` : ""), fix: `chmod -R go-rwx ${dir}` };
}

function diskCheck(dir: string): Check {
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  const pct = (100 * s.bavail) / s.blocks;
  const ok = free >= MIN_FREE_BYTES && pct >= 5;
  return { name: "disk", level: ok ? "ok" : "fail", detail: `${(free / 1024 ** 3).toFixed(1)} GiB free (${pct.toFixed(0)}%)`, ...(ok ? {} : { fix: "free space: old backups (SEED_HOME/backups), logs, or grow the disk" }) };
}

function clockCheck(dir: string): Check {
  const now = Date.now();
  let newest = 0;
  for (const f of ["db/seed.db", "db/seed.db-wal", "backups/last.json", "logs/seed.log"]) {
    const p = path.join(dir, f);
    if (existsSync(p)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  const ahead = newest - now;
  return ahead > 5 * 60_000
    ? { name: "clock", level: "fail", detail: `files were written ${Math.round(ahead / 60_000)} min in the future: the clock jumped back`, fix: "set the clock right (timedatectl set-ntp true), then restart the seed" }
    : { name: "clock", level: "ok", detail: new Date(now).toISOString() };
}

function integrityCheck(dir: string): Check {
  const dbs = [path.join(dir, "db", "seed.db")];
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    for (const e of readdirSync(p)) {
      const q = path.join(p, e);
      if (statSync(q).isDirectory()) walk(q);
      else if (q.endsWith(".sqlite")) dbs.push(q);
    }
  };
  walk(path.join(dir, "do"));
  const bad: string[] = [];
  for (const f of dbs) {
    try {
      const db = new Database(f, { readonly: true });
      const r = db.prepare(f.endsWith("seed.db") ? "PRAGMA integrity_check" : "PRAGMA quick_check").all() as Record<string, string>[];
      db.close();
      const msgs = r.map((x) => Object.values(x)[0]);
      if (msgs.length !== 1 || msgs[0] !== "ok") bad.push(`${path.relative(dir, f)}: ${msgs.join("; ")}`);
    } catch (err) {
      bad.push(`${path.relative(dir, f)}: ${(err as Error).message}`);
    }
  }
  return bad.length === 0
    ? { name: "integrity", level: "ok", detail: `${dbs.length} databases pass integrity_check` }
    : { name: "integrity", level: "fail", detail: bad.join("; "), fix: "restore the latest good backup into a new home: seed restore FILE --home NEW" };
}

async function connectable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3_000 });
    s.once("connect", () => (s.destroy(), resolve(null)));
    s.once("timeout", () => (s.destroy(), resolve("timed out")));
    s.once("error", (e) => resolve(e.message));
  });
}

export async function seedDoctor(homeDir: string): Promise<{ ok: boolean; checks: Check[] }> {
  const home = homePaths(homeDir);
  const checks: Check[] = [nodeCheck(), workerdCheck(), setprivCheck()];
  if (!existsSync(home.identityPub) || !existsSync(home.db)) {
    checks.push({ name: "home", level: "fail", detail: `${home.dir} is not an initialised seed`, fix: "seed init (or seed restore FILE --home DIR)" });
    return { ok: false, checks };
  }
  checks.push(modesCheck(home.dir), diskCheck(home.dir), clockCheck(home.dir), integrityCheck(home.dir));
  try {
    const v = await verifyLedger(home);
    checks.push(v.ok ? { name: "audit", level: "ok", detail: `hash chain intact (${v.rows} rows)` } : { name: "audit", level: "fail", detail: "the audit ledger does not verify", fix: "seed audit verify shows the first altered row; restore a backup taken before it" });
  } catch (err) {
    checks.push({ name: "audit", level: "fail", detail: (err as Error).message });
  }
  const fresh = backupFreshness(home.dir);
  checks.push({
    name: "backup",
    level: fresh.stale ? "fail" : fresh.last ? "ok" : "warn",
    detail: fresh.summary,
    ...(fresh.stale || !fresh.last ? { fix: "seed backup keygen --out KEY (keep KEY off the box); seed backup schedule daily --keep 7 --recipient age1…" } : {}),
  });
  const st = await seedStatus(home.dir);
  if (st.state === "ready") {
    checks.push({ name: "running", level: "ok", detail: `${st.seedId} ready at ${st.httpUrl}` });
  } else if (st.state === "not_running") {
    checks.push({ name: "running", level: "warn", detail: "not running", fix: "seed up (or systemctl start seed when installed)" });
  } else {
    checks.push({ name: "running", level: "fail", detail: st.problem ?? st.state, fix: "seed logs -n 50 shows why" });
  }
  const readyText = JSON.stringify(st.readiness ?? "");
  const late = /late by [^"]+/.exec(readyText)?.[0];
  checks.push(late ? { name: "mind", level: "fail", detail: `the mind is ${late}`, fix: "seed logs -n 100; a restart re-arms the alarm" } : { name: "mind", level: "ok", detail: st.state === "ready" ? "on time" : "not checked (not running)" });
  for (const [name, s] of Object.entries(readServices(home.dir))) {
    const u = new URL(s.url);
    const err = await connectable(u.hostname, Number(u.port || (u.protocol === "https:" ? 443 : 80)));
    checks.push(err ? { name: `service ${name}`, level: "fail", detail: `${u.host} unreachable: ${err}`, fix: `check the URL (seed services list) and the network; under systemd re-run seed install after a DNS change` } : { name: `service ${name}`, level: "ok", detail: `${u.host} reachable` });
  }
  return { ok: !checks.some((c) => c.level === "fail"), checks };
}

export function formatDoctor(r: { ok: boolean; checks: Check[] }): string {
  const mark = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;
  return [...r.checks.map((c) => `${mark[c.level]} ${c.name.padEnd(12)} ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ""}`), r.ok ? "\nall checks passed" : "\nsome checks failed"].join("\n");
}

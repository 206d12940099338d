// The supervisor and the CLI tell the truth (issue 11): another seed on the port is not "ready",
// a second seed in the same home is refused with its pid, children die with a kill -9'd
// supervisor, `seed status` exit codes mean something, and the log is JSON, once, then quiet.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.ts";
import { freePort, tempDir } from "../support/seed-home.ts";
import { startSeed, type SeedProcess } from "../support/seed-process.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for processes to exit: an event we cannot subscribe to from here. */
async function gone(pids: number[], ms = 20_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await delay(50)) if (!pids.some(alive)) return true;
  return false;
}

describe("the supervisor tells the truth (system)", () => {
  let seed: SeedProcess;
  const port = () => new URL(seed.url).port;

  beforeAll(async () => {
    seed = await startSeed();
  }, 180_000);

  afterAll(async () => {
    await seed?.stop();
  });

  it("a second `seed up` in the same home is refused with the running pid", () => {
    const r = runCli(["up"], { SEED_HOME: seed.home, SEED_PORT: String(0), SEED_DB_PORT: String(0) }, REPO, 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`a seed is already running from ${seed.home} (pid ${seed.pidOf("seed")})`);
  });

  it("a port taken by another seed fails at once, naming that seed, and never says ready", async () => {
    const other = path.join(tempDir("seed other "), "other home");
    const seedId = ((await (await fetch(`${seed.url}/v1/identity`)).json()) as { seedId: string }).seedId;
    const r = runCli(["up"], { SEED_HOME: other, SEED_PORT: port(), SEED_DB_PORT: String(await freePort()) }, REPO, 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the Worker's HTTP port ${port()} on 127.0.0.1 is already in use by another seed (${seedId})`);
    expect(r.stdout).not.toMatch(/is up|ready/);
    expect(existsSync(path.join(other, "run", "workerd.pid"))).toBe(false);
  });

  it("seed status: 0 when ready, 5 not initialised, 4 when the user cannot read the home", () => {
    const ok = runCli(["status", "--home", seed.home, "--json"]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ state: "ready", ready: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const none = runCli(["status", "--home", path.join(tempDir(), "nothing here")]);
    expect(none.status).toBe(5);
    expect(none.stdout).toContain("not initialised");
    // As an unprivileged user the 0700 home is unreadable: that is a permission problem, not "not initialised".
    const dir = tempDir("seed perm ");
    chmodSync(dir, 0o711);
    const home = path.join(dir, "private home");
    expect(runCli(["init", "--home", home]).status).toBe(0);
    const args = [process.execPath, ...process.execArgv, path.join(REPO, "scripts/cli/main.ts"), "status", "--home", home];
    const r = spawnSync("setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups", "--", ...args], { encoding: "utf8", cwd: "/" });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stdout).toMatch(/permission denied: uid 65534 cannot read/);
  });

  it("/healthz and `seed --version` carry the version", async () => {
    const version = runCli(["--version"]).stdout.trim();
    expect(version).toBe(JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")).version);
    expect(await (await fetch(`${seed.url}/healthz`)).json()).toMatchObject({ ok: true, version });
  });

  it("logs JSON lines with timestamps; libSQL's listening once", () => {
    const lines = seed.output().trim().split("\n");
    for (const l of lines) expect(JSON.parse(l), l).toMatchObject({ ts: expect.any(String), proc: expect.any(String), event: expect.any(String) });
    expect(lines.filter((l) => l.includes('"event":"listening"'))).toHaveLength(1);
    const logFile = readFileSync(path.join(seed.home, "logs", "seed.log"), "utf8");
    expect(logFile).toContain('"event":"up"');
    expect(logFile).not.toContain(seed.rootKey());
    const logs = runCli(["logs", "--home", seed.home, "-n", "50", "--pretty"]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toMatch(/^\S+Z seed +up: seed-\S+ is up at http/m);
  });

  it("seed doctor passes on a healthy running seed and names a fix for a loose file mode", () => {
    const ok = runCli(["doctor", "--home", seed.home, "--json"], {}, REPO, 120_000);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { name: string; level: string; fix?: string }[] };
    expect(ok.status, ok.stdout).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(["node", "workerd", "permissions", "disk", "clock", "integrity", "audit", "backup", "running", "mind"]));
    expect(report.checks.find((c) => c.name === "running")!.level).toBe("ok");
    const key = path.join(seed.home, "master.key");
    chmodSync(key, 0o644);
    try {
      const bad = runCli(["doctor", "--home", seed.home], {}, REPO, 120_000);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toMatch(/FAIL permissions .*master\.key is 644 \(want 600\)\n\s+fix: chmod -R go-rwx/);
    } finally {
      chmodSync(key, 0o600);
    }
  });

  it("kill -9 of the supervisor takes workerd and the libSQL server with it; status then says not running (3)", async () => {
    const pids = { seed: seed.pidOf("seed"), libsql: seed.pidOf("libsql"), workerd: seed.pidOf("workerd") };
    process.kill(pids.seed, "SIGKILL");
    expect(await gone([pids.libsql, pids.workerd])).toBe(true);
    const r = runCli(["status", "--home", seed.home]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("not running");
  });

  it("the same home comes up again afterwards (stale pid files are not a running seed)", async () => {
    seed = await startSeed({ home: seed.home });
    expect((await fetch(`${seed.url}/readyz`)).status).toBe(200);
    expect(await seed.stop()).toBe(0);
  });
});

// `seed up` from a fresh copy of the repository in a folder whose path contains a space: real
// libSQL server, real workerd, kill -9 and recovery, clean stop.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../support/cli.ts";
import { freePort, tempDir } from "../support/seed-home.ts";
import { watchOutput } from "../support/seed-process.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Copies the tracked and new (not ignored) files; node_modules is linked, not reinstalled. */
function freshCopy(dest: string): void {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && existsSync(path.join(REPO, f)));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    cpSync(path.join(REPO, f), path.join(dest, f));
  }
  symlinkSync(path.join(REPO, "node_modules"), path.join(dest, "node_modules"));
}

describe("seed up (system)", () => {
  const dir = tempDir("seed system ");
  const checkout = path.join(dir, "a checkout");
  const home = path.join(dir, "seed home");
  let port = 0;
  let dbPort = 0;
  let child: ChildProcess;
  let logs: ReturnType<typeof watchOutput>;

  beforeAll(async () => {
    freshCopy(checkout);
    port = await freePort();
    dbPort = await freePort();
    child = spawn("sh", [path.join(checkout, "scripts", "seed"), "up"], {
      cwd: checkout,
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
        SEED_HOME: home,
        SEED_PORT: String(port),
        SEED_DB_PORT: String(dbPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    logs = watchOutput(child);
    await logs.waitFor(/is up at http:\/\/127\.0\.0\.1:\d+/);
  }, 180_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  const rootKey = () => readFileSync(path.join(home, "keys", "root.key"), "utf8").trim();
  const pidOf = (name: string) => Number(readFileSync(path.join(home, "run", `${name}.pid`), "utf8"));

  it("serves /readyz and whoami with the installer root key", async () => {
    // Not a terminal: the key is saved, never printed (a log or a journal is not a safe place).
    expect(logs.output()).toContain(`installer root key saved to ${path.join(home, "keys", "root.key")} (0600)`);
    expect(logs.output()).not.toContain(rootKey());
    expect(logs.output().match(/"event":"listening"/g)).toHaveLength(1);
    for (const l of logs.output().trim().split("\n")) expect(JSON.parse(l)).toMatchObject({ ts: expect.any(String), proc: expect.any(String) });
    const ready = await fetch(url("/readyz"));
    expect(ready.status).toBe(200);
    const who = await fetch(url("/v1/owner/whoami"), { headers: { Authorization: `Bearer ${rootKey()}` } });
    expect(who.status).toBe(200);
    expect(((await who.json()) as { seedId: string }).seedId).toMatch(/^seed-/);
    expect(existsSync(path.join(home, "run", "config.capnp"))).toBe(true);
    expect(readFileSync(path.join(home, "run", "config.capnp"), "utf8")).not.toContain(readFileSync(path.join(home, "keys", "db.token"), "utf8").trim());
  });

  it("workerd runs the minified bundle, class names kept (issue 11: ~10 MiB less held once idle)", () => {
    const bundle = readFileSync(path.join(home, "run", "bundle", "index.js"), "utf8");
    expect(bundle.length / bundle.split("\n").length).toBeGreaterThan(1000); // minified: long lines
    expect(bundle).toMatch(/static\{\w+\(this,"AuditLedger"\)\}/); // keep_names: error and DO class names survive
  });

  it("the long-lived supervisor is the plain-JavaScript bundle, in the process `seed up` started", () => {
    // The launcher execs node, and the CLI replaces itself with the bundle (process.execve): the
    // pid we spawned is the supervisor, with no TypeScript CLI left in memory.
    expect(pidOf("seed")).toBe(child.pid);
    const cmdline = readFileSync(`/proc/${pidOf("seed")}/cmdline`, "utf8").split("\0").filter(Boolean);
    expect(cmdline.find((a) => a.endsWith("supervisor.mjs"))).toContain(`${path.sep}seed-supervisor${path.sep}`);
    expect(cmdline.some((a) => a.endsWith("main.ts"))).toBe(false);
    expect(JSON.parse(cmdline.at(-1)!)).toMatchObject({ home });
  });

  it("restarts workerd after kill -9, with the data still there", async () => {
    const before = (await (await fetch(url("/v1/owner/whoami"), { headers: { Authorization: `Bearer ${rootKey()}` } })).json()) as { seedId: string };
    const old = pidOf("workerd");
    process.kill(old, "SIGKILL");
    await logs.waitFor(/workerd exited \(signal SIGKILL\); restarting/);
    await logs.waitFor(/workerd is back/);
    expect(pidOf("workerd")).not.toBe(old);
    expect((await fetch(url("/readyz"))).status).toBe(200);
    const after = await fetch(url("/v1/owner/whoami"), { headers: { Authorization: `Bearer ${rootKey()}` } });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { seedId: string }).seedId).toBe(before.seedId);
  });

  it("restarts the libSQL server after kill -9; committed data survives", async () => {
    // Written just before the kill: a helper key (its row in libSQL), acknowledged with 201.
    const minted = await fetch(url("/v1/owner/membrane"), {
      method: "POST",
      headers: { Authorization: `Bearer ${rootKey()}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "written just before kill -9", scopes: ["status:read"] }),
    });
    expect(minted.status).toBe(201);
    const helper = ((await minted.json()) as { token: string }).token;
    const old = pidOf("libsql");
    process.kill(old, "SIGKILL");
    await logs.waitFor(/libsql exited \(signal SIGKILL\); restarting/);
    await logs.waitFor(/libsql is back/);
    expect(pidOf("libsql")).not.toBe(old);
    const who = await fetch(url("/v1/owner/whoami"), { headers: { Authorization: `Bearer ${rootKey()}` } });
    expect(who.status).toBe(200);
    // Read after: the key written last still opens the door, and the owner still lists it.
    expect((await fetch(url("/v1/status"), { headers: { Authorization: `Bearer ${helper}` } })).status).toBe(200);
    const listed = (await (await fetch(url("/v1/owner/membrane"), { headers: { Authorization: `Bearer ${rootKey()}` } })).json()) as unknown;
    expect(JSON.stringify(listed)).toContain("written just before kill -9");
  });

  it("stops both children on SIGTERM and leaves no process behind", async () => {
    const pids = [pidOf("libsql"), pidOf("workerd"), pidOf("seed")];
    expect(pids.every(alive)).toBe(true);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const name of ["libsql", "workerd", "seed"]) expect(existsSync(path.join(home, "run", `${name}.pid`))).toBe(false);
  });
});

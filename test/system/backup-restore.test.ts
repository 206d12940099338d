// Backup while the seed serves, and restore into a new home: the same organism — identity, keys,
// memory recall, bus messages and subscriptions, the work ledger, an audit ledger that verifies.
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScheduled } from "../../scripts/cli/backup/seed-backup.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { tempDir } from "../support/seed-home.ts";
import { addAgent, startSeed, type SeedProcess } from "../support/seed-process.ts";

async function call(seed: SeedProcess, key: string, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${seed.url}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe("backup and restore (system)", () => {
  const dir = tempDir("seed backup ");
  const keyFile = path.join(dir, "backup key.txt");
  let recipient = "";
  let a: SeedProcess;
  let agent: { id: string; token: string };
  let backupFile = "";
  let taskId = "";
  let memoryId = "";
  let helperToken = "";
  let seedId = "";

  beforeAll(async () => {
    a = await startSeed();
    const kg = runCli(["backup", "keygen", "--out", keyFile]);
    expect(kg.status, kg.stderr).toBe(0);
    recipient = /public key:\s+(age1\S+)/.exec(kg.stdout)![1]!;
    agent = await addAgent(a, "worker", ["reports"]);
    seedId = ((await (await fetch(`${a.url}/v1/identity`)).json()) as { seedId: string }).seedId;
    const root = a.rootKey();
    expect((await call(a, agent.token, "PUT", "/v1/bus/subscriptions/orders-sub", { topic: "orders", startAt: "earliest" })).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await call(a, agent.token, "POST", "/v1/bus/topics/orders/messages", { body: { n: i } })).status).toBe(201);
    const task = await call(a, root, "POST", "/v1/work", { title: "quarterly report", capability: "reports" });
    expect(task.status).toBe(201);
    taskId = task.json.id;
    const mem = await call(a, agent.token, "POST", "/v1/memory", { text: "the warehouse in Lyon closes at six", tags: ["ops"] });
    expect(mem.status).toBe(201);
    memoryId = mem.json.ids[0];
    const helper = await call(a, root, "POST", "/v1/owner/membrane", { name: "provider", scopes: ["status:read"] });
    expect(helper.status).toBe(201);
    helperToken = helper.json.token;
    expect((await call(a, helperToken, "GET", "/v1/status")).status).toBe(200); // audited
  }, 240_000);

  afterAll(async () => {
    await a?.stop();
  });

  it("backs up while the seed keeps accepting writes", async () => {
    let writing = true;
    let accepted = 0;
    const failures: number[] = [];
    const writer = (async () => {
      while (writing) {
        const r = await call(a, agent.token, "POST", "/v1/bus/topics/busy/messages", { body: { at: Date.now() } });
        if (r.status === 201) accepted++;
        else failures.push(r.status);
      }
    })();
    // Asynchronously (not spawnSync): the writer keeps writing in this process while the backup runs.
    const child = spawnCli(["backup", "--home", a.home, "--recipient", recipient, "--json"]);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const r = { status, stdout, stderr };
    writing = false;
    await writer;
    expect(r.status, r.stderr).toBe(0);
    backupFile = (JSON.parse(r.stdout) as { file: string }).file;
    expect(backupFile.startsWith(path.join(a.home, "backups"))).toBe(true);
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    // Encrypted: none of the keys appears in the file.
    const raw = readFileSync(backupFile);
    for (const secret of [a.rootKey().split("_")[3]!, readFileSync(path.join(a.home, "keys", "db.token"), "utf8").trim()]) expect(raw.includes(secret)).toBe(false);
    const st = runCli(["status", "--home", a.home, "--json"]);
    expect(JSON.parse(st.stdout).backup.last.file).toBe(backupFile);
  }, 180_000);

  it("verify: ok with the key; a wrong key and a flipped byte fail clearly; the temp folder's mode is left alone", () => {
    const tmpMode = statSync(os.tmpdir()).mode & 0o7777;
    const ok = runCli(["backup", "verify", backupFile, "--identity", keyFile, "--json"], {}, undefined, 120_000);
    // Regression: verify's scratch folder lives in the system temp folder, which it once chmod'ed to 0700.
    expect((statSync(os.tmpdir()).mode & 0o7777).toString(8)).toBe(tmpMode.toString(8));
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] });
    const otherKey = path.join(dir, "other key.txt");
    runCli(["backup", "keygen", "--out", otherKey]);
    const wrong = runCli(["backup", "verify", backupFile, "--identity", otherKey]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^seed: cannot open .*wrong passphrase or key/);
    const bad = path.join(dir, "damaged.age");
    const bytes = readFileSync(backupFile);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(bad, bytes);
    const damaged = runCli(["backup", "verify", bad, "--identity", keyFile]);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/^seed: /);
  }, 120_000);

  it("restore brings back the same organism: identity, keys, bus, work, memory, audit", async () => {
    const home = path.join(dir, "restored home");
    const r = runCli(["restore", backupFile, "--home", home, "--identity", keyFile], {}, undefined, 120_000);
    expect(r.status, r.stderr).toBe(0);
    const again = runCli(["restore", backupFile, "--home", home, "--identity", keyFile]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already holds a seed");
    await a.stop(); // the same identity must not serve twice on one box
    // run/ is generated, not backed up: reuse the first seed's Worker bundle so this start skips the build.
    cpSync(path.join(a.home, "run", "bundle"), path.join(home, "run", "bundle"), { recursive: true });
    const b = await startSeed({ home });
    try {
      expect(((await (await fetch(`${b.url}/v1/identity`)).json()) as { seedId: string }).seedId).toBe(seedId);
      expect((await call(b, b.rootKey(), "GET", "/v1/owner/whoami")).status).toBe(200);
      expect((await call(b, helperToken, "GET", "/v1/status")).status).toBe(200);
      const pulled = await call(b, agent.token, "POST", "/v1/bus/subscriptions/orders-sub/pull", { max: 10 });
      expect(pulled.status).toBe(200);
      expect(pulled.json.messages.map((m: { body: { n: number } }) => m.body.n)).toEqual([0, 1, 2, 3, 4]);
      const task = await call(b, b.rootKey(), "GET", `/v1/work/${taskId}`);
      expect(task.status).toBe(200);
      expect(task.json.title).toBe("quarterly report");
      const recall = await call(b, agent.token, "POST", "/v1/memory/recall", { query: "when does the Lyon warehouse close", k: 3 });
      expect(recall.json.results[0].id).toBe(memoryId);
      const audit = runCli(["audit", "verify", "--home", home, "--json"]);
      expect(audit.status, audit.stdout + audit.stderr).toBe(0);
    } finally {
      await b.stop();
    }
  }, 240_000);

  it("a passphrase works too (scrypt); a scheduled backup runs only when due and keeps the newest N", async () => {
    const env = { SEED_BACKUP_PASSPHRASE: "correct horse battery staple" };
    const out = path.join(dir, "with passphrase.age");
    expect(runCli(["backup", "--home", a.home, "--out", out], env, undefined, 120_000).status).toBe(0);
    expect(runCli(["backup", "verify", out], env, undefined, 120_000).status).toBe(0);
    const noKey = runCli(["backup", "--home", a.home], { SEED_BACKUP_PASSPHRASE: "" });
    expect(noKey.status).toBe(1);

    const sched = path.join(dir, "scheduled");
    expect(runCli(["backup", "schedule", "daily", "--keep", "2", "--dir", sched, "--recipient", recipient, "--home", a.home]).status).toBe(0);
    const t0 = Date.parse("2031-01-01T00:00:00Z");
    const hour = 3_600_000;
    expect(await runScheduled(a.home, t0)).not.toBeNull(); // the last backup is older than a day
    expect(await runScheduled(a.home, t0 + hour)).toBeNull(); // not due
    expect(await runScheduled(a.home, t0 + 25 * hour)).not.toBeNull();
    expect(await runScheduled(a.home, t0 + 50 * hour)).not.toBeNull();
    expect(readdirSync(sched).filter((f) => f.endsWith(".age")).sort()).toEqual([
      expect.stringMatching(/-20310102T010000Z\.age$/),
      expect.stringMatching(/-20310103T020000Z\.age$/),
    ]);
  }, 240_000);
});
